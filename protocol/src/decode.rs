//! Strict decoding of y-websocket frames.
//!
//! Every length is checked against the bytes that remain before anything is allocated, so a
//! few hostile bytes cannot declare a gigabyte-sized vector.

use std::collections::HashMap;
use std::sync::Arc;

use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::AwarenessUpdate;
use yrs::StateVector;

use crate::error::DecodeError;
use crate::message::{AuthMessage, Message, SyncMessage};
use crate::reader::Reader;

/// Decodes every message of a frame.
///
/// y-websocket clients send one message per frame, but the format allows several back to back;
/// all of them must decode completely or the whole frame is rejected.
///
/// # Errors
/// [`DecodeError`] when the frame is empty, ends inside a message, names an unknown message
/// type, or carries an invalid state vector or awareness update. Update payloads are returned
/// as raw bytes: the caller validates them with [`crate::validate_update_v1`] before they
/// reach a document.
pub fn decode_frame(frame: &[u8]) -> Result<Vec<Message<'_>>, DecodeError> {
    if frame.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut reader = Reader::new(frame);
    let mut messages = Vec::with_capacity(1);
    while !reader.is_empty() {
        messages.push(read_message(&mut reader)?);
    }
    Ok(messages)
}

/// Decodes a v1 state vector, rejecting trailing bytes and client ids above 2^53 − 1.
///
/// # Errors
/// [`DecodeError`] when the bytes are truncated or not a state vector.
pub fn decode_state_vector(bytes: &[u8]) -> Result<StateVector, DecodeError> {
    let mut reader = Reader::new(bytes);
    let sv = read_state_vector(&mut reader)?;
    reader.expect_end("state vector")?;
    Ok(sv)
}

/// Decodes a y-protocols awareness update (the payload inside an awareness message).
///
/// # Errors
/// [`DecodeError`] when the bytes are truncated, an id is out of range, or a state is not JSON.
pub fn decode_awareness_update(bytes: &[u8]) -> Result<AwarenessUpdate, DecodeError> {
    let mut reader = Reader::new(bytes);
    let update = read_awareness_update(&mut reader)?;
    reader.expect_end("awareness update")?;
    Ok(update)
}

fn read_message<'a>(reader: &mut Reader<'a>) -> Result<Message<'a>, DecodeError> {
    match reader.var_uint("message type")? {
        0 => read_sync(reader).map(Message::Sync),
        1 => {
            let payload = reader.var_bytes("awareness payload")?;
            decode_awareness_update(payload).map(Message::Awareness)
        }
        2 => match reader.var_uint("auth type")? {
            0 => Ok(Message::Auth(AuthMessage::PermissionDenied {
                reason: reader.var_string("auth reason")?,
            })),
            other => Err(DecodeError::UnknownAuthType(other)),
        },
        3 => Ok(Message::QueryAwareness),
        other => Err(DecodeError::UnknownMessageType(other)),
    }
}

fn read_sync<'a>(reader: &mut Reader<'a>) -> Result<SyncMessage<'a>, DecodeError> {
    match reader.var_uint("sync type")? {
        0 => {
            let payload = reader.var_bytes("state vector")?;
            decode_state_vector(payload).map(SyncMessage::Step1)
        }
        1 => Ok(SyncMessage::Step2(reader.var_bytes("sync step2 update")?)),
        2 => Ok(SyncMessage::Update(reader.var_bytes("update")?)),
        other => Err(DecodeError::UnknownSyncType(other)),
    }
}

fn read_state_vector(reader: &mut Reader<'_>) -> Result<StateVector, DecodeError> {
    // Each entry takes at least two bytes (client id and clock).
    let len = reader.var_len("state vector length", 2)?;
    let mut sv = StateVector::default();
    for _ in 0..len {
        let client = reader.client_id("state vector client id")?;
        let clock = reader.var_u32("state vector clock")?;
        sv.set_max(client, clock);
    }
    Ok(sv)
}

fn read_awareness_update(reader: &mut Reader<'_>) -> Result<AwarenessUpdate, DecodeError> {
    // Each entry takes at least three bytes (client id, clock, empty string length).
    let len = reader.var_len("awareness entry count", 3)?;
    let mut clients = HashMap::with_capacity(len);
    for _ in 0..len {
        let client = reader.client_id("awareness client id")?;
        let clock = reader.var_u32("awareness clock")?;
        let json = reader.var_string("awareness state")?;
        if let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(json) {
            return Err(DecodeError::malformed("awareness state", err.to_string()));
        }
        clients.insert(
            client,
            AwarenessUpdateEntry {
                clock,
                json: Arc::from(json),
            },
        );
    }
    Ok(AwarenessUpdate { clients })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode;
    use crate::error::DecodeErrorKind;

    #[test]
    fn every_prefix_of_a_valid_frame_is_rejected_as_truncated() {
        let frame = encode::sync_update(&[1, 2, 3, 4, 5]);
        for end in 1..frame.len() {
            let err = decode_frame(&frame[..end]).unwrap_err();
            assert_eq!(
                err.kind(),
                DecodeErrorKind::Truncated,
                "prefix {end}: {err}"
            );
        }
        assert!(decode_frame(&frame).is_ok());
    }

    #[test]
    fn unknown_message_and_sync_types_are_named() {
        assert_eq!(
            decode_frame(&[9]).unwrap_err(),
            DecodeError::UnknownMessageType(9)
        );
        assert_eq!(
            decode_frame(&[0, 7, 0]).unwrap_err(),
            DecodeError::UnknownSyncType(7)
        );
        assert_eq!(
            decode_frame(&[2, 5]).unwrap_err(),
            DecodeError::UnknownAuthType(5)
        );
    }

    #[test]
    fn several_messages_in_one_frame_all_decode() {
        let mut frame = encode::sync_update(&[0, 0]);
        frame.extend(encode::query_awareness());
        let messages = decode_frame(&frame).unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[1], Message::QueryAwareness);
    }

    #[test]
    fn huge_declared_lengths_fail_without_allocating() {
        // Awareness payload declaring 2^40 entries in a 10-byte frame.
        let frame = [1, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0];
        let err = decode_frame(&frame).unwrap_err();
        assert_eq!(err.kind(), DecodeErrorKind::Truncated);
    }

    #[test]
    fn awareness_state_must_be_json_and_ids_must_fit_javascript() {
        let mut payload = vec![1, 5, 1];
        payload.extend([3, b'{', b'x', b'}']);
        let mut frame = vec![1, payload.len() as u8];
        frame.extend(&payload);
        let err = decode_frame(&frame).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::Malformed {
                field: "awareness state",
                ..
            }
        ));

        // client id 2^53
        let mut payload = vec![1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 2];
        payload.extend(b"{}");
        let mut frame = vec![1, payload.len() as u8];
        frame.extend(&payload);
        let err = decode_frame(&frame).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::Malformed {
                field: "awareness client id",
                ..
            }
        ));
    }

    #[test]
    fn varint_overflow_is_malformed() {
        let frame = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f];
        assert_eq!(
            decode_frame(&frame).unwrap_err().kind(),
            DecodeErrorKind::Malformed
        );
    }
}
