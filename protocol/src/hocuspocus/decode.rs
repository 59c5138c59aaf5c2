//! Strict decoding of Hocuspocus frames.
//!
//! Stricter than Hocuspocus itself, which ignores bytes after a message and logs unknown
//! types: here a frame decodes completely or not at all. The sync and awareness payloads go
//! through the same checks as y-websocket's.

use super::address::MAX_DOCUMENT_NAME_BYTES;
use super::error::HocuspocusDecodeError;
use super::message::{
    AuthScope, HocuspocusAuthMessage, HocuspocusFrame, HocuspocusMessage, HocuspocusMessageType,
    AUTH_AUTHENTICATED, AUTH_PERMISSION_DENIED, AUTH_TOKEN, SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE,
};
use crate::error::DecodeError;
use crate::message::SyncMessage;
use crate::reader::Reader;
use crate::{decode_awareness_update, decode_state_vector};

/// Decodes one Hocuspocus WebSocket frame.
///
/// A frame of the single byte `9` or `10` is a [`HocuspocusFrame::Ping`] or
/// [`HocuspocusFrame::Pong`]; any other frame is `varString(document) · varUint(type) ·
/// payload` and must hold exactly one message.
///
/// # Errors
/// [`HocuspocusDecodeError`] when the frame is empty or cut short, has bytes after its
/// message, names an unknown type, has a document address longer than
/// [`super::MAX_DOCUMENT_NAME_BYTES`], or carries an invalid state vector, awareness update,
/// scope or sync status. Update payloads are returned as raw bytes: validate them with
/// [`crate::validate_update_v1`] before they reach a document.
pub fn decode(frame: &[u8]) -> Result<HocuspocusFrame<'_>, HocuspocusDecodeError> {
    match frame {
        [] => return Err(DecodeError::Empty.into()),
        [tag] if *tag == HocuspocusMessageType::Ping as u8 => return Ok(HocuspocusFrame::Ping),
        [tag] if *tag == HocuspocusMessageType::Pong as u8 => return Ok(HocuspocusFrame::Pong),
        _ => {}
    }
    let mut reader = Reader::new(frame);
    let document = read_document(&mut reader)?;
    let message = read_message(&mut reader)?;
    reader.expect_end("Hocuspocus message")?;
    Ok(HocuspocusFrame::Document { document, message })
}

fn read_document<'a>(reader: &mut Reader<'a>) -> Result<&'a str, HocuspocusDecodeError> {
    const FIELD: &str = "document name";
    let len = reader.var_uint(FIELD)?;
    let len = usize::try_from(len)
        .ok()
        .filter(|&len| len <= MAX_DOCUMENT_NAME_BYTES)
        .ok_or(HocuspocusDecodeError::DocumentNameTooLong { len })?;
    let bytes = reader.fixed(FIELD, len)?;
    std::str::from_utf8(bytes).map_err(|err| DecodeError::malformed(FIELD, err.to_string()).into())
}

fn read_message<'a>(
    reader: &mut Reader<'a>,
) -> Result<HocuspocusMessage<'a>, HocuspocusDecodeError> {
    let tag = reader.var_uint("message type")?;
    let message_type =
        HocuspocusMessageType::try_from(tag).map_err(HocuspocusDecodeError::UnknownMessageType)?;
    Ok(match message_type {
        HocuspocusMessageType::Sync => HocuspocusMessage::Sync(read_sync(reader)?),
        HocuspocusMessageType::SyncReply => HocuspocusMessage::SyncReply(read_sync(reader)?),
        HocuspocusMessageType::Awareness => {
            let payload = reader.var_bytes("awareness payload")?;
            HocuspocusMessage::Awareness(decode_awareness_update(payload)?)
        }
        HocuspocusMessageType::Auth => HocuspocusMessage::Auth(read_auth(reader)?),
        HocuspocusMessageType::QueryAwareness => HocuspocusMessage::QueryAwareness,
        HocuspocusMessageType::Stateless => {
            HocuspocusMessage::Stateless(reader.var_string("stateless payload")?)
        }
        HocuspocusMessageType::BroadcastStateless => {
            HocuspocusMessage::BroadcastStateless(reader.var_string("broadcast stateless payload")?)
        }
        HocuspocusMessageType::Close => {
            // A provider's close has no reason; a server's always has one.
            let reason = if reader.is_empty() {
                None
            } else {
                Some(reader.var_string("close reason")?)
            };
            HocuspocusMessage::Close { reason }
        }
        HocuspocusMessageType::SyncStatus => {
            let is_applied = match reader.var_uint("sync status")? {
                0 => false,
                1 => true,
                other => {
                    return Err(DecodeError::malformed(
                        "sync status",
                        format!("{other} is neither 0 (refused) nor 1 (applied)"),
                    )
                    .into())
                }
            };
            HocuspocusMessage::SyncStatus { is_applied }
        }
        HocuspocusMessageType::Ping | HocuspocusMessageType::Pong => {
            return Err(HocuspocusDecodeError::AddressedPingPong(tag))
        }
    })
}

/// The y-protocols sync payload, checked as [`crate::decode_frame`] checks it.
fn read_sync<'a>(reader: &mut Reader<'a>) -> Result<SyncMessage<'a>, DecodeError> {
    match reader.var_uint("sync type")? {
        SYNC_STEP1 => {
            let payload = reader.var_bytes("state vector")?;
            decode_state_vector(payload).map(SyncMessage::Step1)
        }
        SYNC_STEP2 => Ok(SyncMessage::Step2(reader.var_bytes("sync step2 update")?)),
        SYNC_UPDATE => Ok(SyncMessage::Update(reader.var_bytes("update")?)),
        other => Err(DecodeError::UnknownSyncType(other)),
    }
}

fn read_auth<'a>(
    reader: &mut Reader<'a>,
) -> Result<HocuspocusAuthMessage<'a>, HocuspocusDecodeError> {
    Ok(match reader.var_uint("auth type")? {
        // The server's token request is the bare sub-type; a provider's token always has at
        // least its string's length byte after it.
        AUTH_TOKEN if reader.is_empty() => HocuspocusAuthMessage::TokenRequest,
        AUTH_TOKEN => {
            let token = reader.var_string("auth token")?;
            let provider_version = if reader.is_empty() {
                None
            } else {
                Some(reader.var_string("provider version")?)
            };
            HocuspocusAuthMessage::Token {
                token,
                provider_version,
            }
        }
        AUTH_PERMISSION_DENIED => HocuspocusAuthMessage::PermissionDenied {
            reason: reader.var_string("permission denied reason")?,
        },
        AUTH_AUTHENTICATED => {
            let scope = reader.var_string("authenticated scope")?;
            let scope = AuthScope::from_wire(scope).ok_or_else(|| {
                DecodeError::malformed(
                    "authenticated scope",
                    format!("{scope:?} is neither \"readonly\" nor \"read-write\""),
                )
            })?;
            HocuspocusAuthMessage::Authenticated { scope }
        }
        other => return Err(HocuspocusDecodeError::UnknownAuthType(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_frame;
    use crate::error::DecodeErrorKind;
    use crate::hocuspocus::encode;

    /// `[1, 'd']`: the address "d", then `rest`.
    fn addressed(rest: &[u8]) -> Vec<u8> {
        let mut frame = vec![1, b'd'];
        frame.extend_from_slice(rest);
        frame
    }

    /// Frames whose every proper prefix is incomplete (no optional tail).
    fn frames_with_fixed_ends() -> Vec<Vec<u8>> {
        vec![
            encode::sync_update("d", &[1, 2, 3, 4]),
            encode::sync_reply("d", &SyncMessage::Step2(&[0, 0])),
            encode::awareness(
                "d",
                &decode_awareness_update(&[1, 5, 1, 2, b'{', b'}']).unwrap(),
            ),
            encode::permission_denied("d", "no"),
            encode::authenticated("d", AuthScope::ReadWrite),
            encode::stateless("d", "hello"),
            encode::broadcast_stateless("d", "hello"),
            encode::sync_status("d", true),
            encode::query_awareness("document"),
        ]
    }

    #[test]
    fn a_frame_cut_short_is_rejected() {
        for frame in frames_with_fixed_ends() {
            assert!(decode(&frame).is_ok());
            for end in 1..frame.len() {
                let err = decode(&frame[..end]).unwrap_err();
                assert_eq!(
                    err.kind(),
                    DecodeErrorKind::Truncated,
                    "{frame:?} cut at {end}: {err}"
                );
            }
        }
        assert_eq!(decode(&[]).unwrap_err(), DecodeError::Empty.into());
    }

    #[test]
    fn bytes_after_the_message_are_rejected() {
        for mut frame in frames_with_fixed_ends() {
            frame.push(0);
            let err = decode(&frame).unwrap_err();
            assert!(
                matches!(
                    err,
                    HocuspocusDecodeError::Frame(DecodeError::Malformed {
                        field: "Hocuspocus message",
                        ..
                    })
                ),
                "{frame:?}: {err}"
            );
        }
    }

    #[test]
    fn a_cut_optional_tail_is_rejected() {
        // A close reason, a token, a provider version: each declares 5 bytes and has 1.
        for rest in [&[7, 5, b'b'][..], &[2, 0, 5, b't'], &[2, 0, 0, 5, b'4']] {
            let err = decode(&addressed(rest)).unwrap_err();
            assert_eq!(err.kind(), DecodeErrorKind::Truncated, "{rest:?}: {err}");
        }
    }

    #[test]
    fn unknown_message_auth_and_sync_types_are_named() {
        assert_eq!(
            decode(&addressed(&[11])).unwrap_err(),
            HocuspocusDecodeError::UnknownMessageType(11)
        );
        assert_eq!(
            decode(&addressed(&[2, 3, 0])).unwrap_err(),
            HocuspocusDecodeError::UnknownAuthType(3)
        );
        assert_eq!(
            decode(&addressed(&[0, 7, 0])).unwrap_err(),
            DecodeError::UnknownSyncType(7).into()
        );
        assert_eq!(
            decode(&addressed(&[4, 3, 0])).unwrap_err(),
            DecodeError::UnknownSyncType(3).into()
        );
    }

    #[test]
    fn ping_and_pong_are_lone_bytes_addressed_to_no_document() {
        assert_eq!(decode(&[9]).unwrap(), HocuspocusFrame::Ping);
        assert_eq!(decode(&[10]).unwrap(), HocuspocusFrame::Pong);
        assert_eq!(
            decode(&addressed(&[9])).unwrap_err(),
            HocuspocusDecodeError::AddressedPingPong(9)
        );
        assert_eq!(
            decode(&addressed(&[10])).unwrap_err(),
            HocuspocusDecodeError::AddressedPingPong(10)
        );
        // Any other lone byte starts a document name that never comes.
        assert_eq!(decode(&[3]).unwrap_err().kind(), DecodeErrorKind::Truncated);
    }

    #[test]
    fn an_over_long_document_name_is_rejected() {
        let longest = "x".repeat(MAX_DOCUMENT_NAME_BYTES);
        let frame = encode::query_awareness(&longest);
        assert_eq!(decode(&frame).unwrap().document(), Some(longest.as_str()));

        let too_long = "x".repeat(MAX_DOCUMENT_NAME_BYTES + 1);
        let err = decode(&encode::query_awareness(&too_long)).unwrap_err();
        assert_eq!(
            err,
            HocuspocusDecodeError::DocumentNameTooLong {
                len: MAX_DOCUMENT_NAME_BYTES as u64 + 1
            }
        );
        assert_eq!(err.kind(), DecodeErrorKind::Malformed);

        // Refused on its declared length (2^40), before any bytes are looked for.
        let err = decode(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 3]).unwrap_err();
        assert_eq!(
            err,
            HocuspocusDecodeError::DocumentNameTooLong { len: 1 << 40 }
        );
    }

    #[test]
    fn a_document_name_that_is_not_utf8_is_rejected() {
        let err = decode(&[2, 0xff, 0xfe, 3]).unwrap_err();
        assert!(matches!(
            err,
            HocuspocusDecodeError::Frame(DecodeError::Malformed {
                field: "document name",
                ..
            })
        ));
    }

    #[test]
    fn sync_and_awareness_payloads_fail_exactly_as_in_y_websocket() {
        // client id 2^53 in a state vector; JSON that is not JSON; an id above 2^53 - 1 in
        // awareness; a declared count far beyond the bytes present.
        let too_big_id = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];
        let mut bad_state_vector = vec![1];
        bad_state_vector.extend(too_big_id);
        bad_state_vector.push(1);
        let mut sync_step1 = vec![0, 0, bad_state_vector.len() as u8];
        sync_step1.extend(&bad_state_vector);
        let bad_json = [1, 10, 1, 5, 1, 3, b'{', b'x', b'}'];
        let huge_count = [1, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0];

        for y_websocket_message in [&sync_step1[..], &bad_json, &huge_count] {
            let expected = decode_frame(y_websocket_message).unwrap_err();
            let err = decode(&addressed(y_websocket_message)).unwrap_err();
            assert_eq!(err, HocuspocusDecodeError::Frame(expected));
        }
    }

    #[test]
    fn sync_status_is_zero_or_one() {
        assert_eq!(
            decode(&addressed(&[8, 0])).unwrap(),
            HocuspocusFrame::Document {
                document: "d",
                message: HocuspocusMessage::SyncStatus { is_applied: false }
            }
        );
        let err = decode(&addressed(&[8, 2])).unwrap_err();
        assert!(matches!(
            err,
            HocuspocusDecodeError::Frame(DecodeError::Malformed {
                field: "sync status",
                ..
            })
        ));
    }

    #[test]
    fn an_unknown_scope_is_rejected() {
        let mut rest = vec![2, 2, 5];
        rest.extend(b"admin");
        let err = decode(&addressed(&rest)).unwrap_err();
        assert!(matches!(
            err,
            HocuspocusDecodeError::Frame(DecodeError::Malformed {
                field: "authenticated scope",
                ..
            })
        ));
    }

    #[test]
    fn a_token_request_and_a_token_are_told_apart_by_what_follows_the_sub_type() {
        fn auth(frame: &[u8]) -> HocuspocusAuthMessage<'_> {
            match decode(frame).unwrap() {
                HocuspocusFrame::Document {
                    message: HocuspocusMessage::Auth(auth),
                    ..
                } => auth,
                other => panic!("not an auth message: {other:?}"),
            }
        }
        assert_eq!(
            auth(&addressed(&[2, 0])),
            HocuspocusAuthMessage::TokenRequest
        );
        assert_eq!(
            auth(&addressed(&[2, 0, 0])),
            HocuspocusAuthMessage::Token {
                token: "",
                provider_version: None
            }
        );
        assert_eq!(
            auth(&addressed(&[2, 0, 1, b't', 3, b'4', b'.', b'8'])),
            HocuspocusAuthMessage::Token {
                token: "t",
                provider_version: Some("4.8")
            }
        );
    }

    #[test]
    fn a_close_from_a_provider_has_no_reason_and_one_from_a_server_has() {
        fn reason(frame: &[u8]) -> Option<&str> {
            match decode(frame).unwrap() {
                HocuspocusFrame::Document {
                    message: HocuspocusMessage::Close { reason },
                    ..
                } => reason,
                other => panic!("not a close: {other:?}"),
            }
        }
        assert_eq!(reason(&addressed(&[7])), None);
        assert_eq!(reason(&addressed(&[7, 3, b'b', b'y', b'e'])), Some("bye"));
    }
}
