//! Encoders for each Hocuspocus message; each returns one complete WebSocket frame.
//!
//! `document` is the address to write in front of the message, as received (see
//! [`super::DocumentAddress`]). Nothing here checks it against
//! [`super::MAX_DOCUMENT_NAME_BYTES`].

use yrs::encoding::write::Write;
use yrs::sync::AwarenessUpdate;
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::StateVector;

use super::message::{
    AuthScope, HocuspocusAuthMessage, HocuspocusFrame, HocuspocusMessage, HocuspocusMessageType,
    AUTH_AUTHENTICATED, AUTH_PERMISSION_DENIED, AUTH_TOKEN, SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE,
};
use crate::message::SyncMessage;

fn addressed(
    document: &str,
    message_type: HocuspocusMessageType,
    body: impl FnOnce(&mut EncoderV1),
) -> Vec<u8> {
    let mut encoder = EncoderV1::new();
    encoder.write_string(document);
    encoder.write_var(message_type as u8);
    body(&mut encoder);
    encoder.to_vec()
}

fn sync_frame(
    document: &str,
    message_type: HocuspocusMessageType,
    sync_type: u64,
    payload: &[u8],
) -> Vec<u8> {
    addressed(document, message_type, |e| {
        e.write_var(sync_type);
        e.write_buf(payload);
    })
}

fn sync_message(
    document: &str,
    message_type: HocuspocusMessageType,
    message: &SyncMessage<'_>,
) -> Vec<u8> {
    match message {
        SyncMessage::Step1(state_vector) => sync_frame(
            document,
            message_type,
            SYNC_STEP1,
            &state_vector.encode_v1(),
        ),
        SyncMessage::Step2(update) => sync_frame(document, message_type, SYNC_STEP2, update),
        SyncMessage::Update(update) => sync_frame(document, message_type, SYNC_UPDATE, update),
    }
}

/// Any frame: the inverse of [`super::decode`].
pub fn frame(frame: &HocuspocusFrame<'_>) -> Vec<u8> {
    match frame {
        HocuspocusFrame::Document {
            document,
            message: m,
        } => message(document, m),
        HocuspocusFrame::Ping => ping(),
        HocuspocusFrame::Pong => pong(),
    }
}

/// Any document message, addressed to `document`.
pub fn message(document: &str, message: &HocuspocusMessage<'_>) -> Vec<u8> {
    match message {
        HocuspocusMessage::Sync(sync_message) => sync(document, sync_message),
        HocuspocusMessage::SyncReply(sync_message) => sync_reply(document, sync_message),
        HocuspocusMessage::Awareness(update) => awareness(document, update),
        HocuspocusMessage::Auth(HocuspocusAuthMessage::Token {
            token: value,
            provider_version,
        }) => token(document, value, *provider_version),
        HocuspocusMessage::Auth(HocuspocusAuthMessage::TokenRequest) => token_request(document),
        HocuspocusMessage::Auth(HocuspocusAuthMessage::PermissionDenied { reason }) => {
            permission_denied(document, reason)
        }
        HocuspocusMessage::Auth(HocuspocusAuthMessage::Authenticated { scope }) => {
            authenticated(document, *scope)
        }
        HocuspocusMessage::QueryAwareness => query_awareness(document),
        HocuspocusMessage::Stateless(payload) => stateless(document, payload),
        HocuspocusMessage::BroadcastStateless(payload) => broadcast_stateless(document, payload),
        HocuspocusMessage::Close { reason } => close(document, *reason),
        HocuspocusMessage::SyncStatus { is_applied } => sync_status(document, *is_applied),
    }
}

/// `[document, 0, sync message]`: any sync-protocol message.
pub fn sync(document: &str, message: &SyncMessage<'_>) -> Vec<u8> {
    sync_message(document, HocuspocusMessageType::Sync, message)
}

/// `[document, 0, 0, state_vector]`: SyncStep1. Hocuspocus answers a step1 with a step1 of
/// its own and then the step2.
pub fn sync_step1(document: &str, state_vector: &StateVector) -> Vec<u8> {
    sync_frame(
        document,
        HocuspocusMessageType::Sync,
        SYNC_STEP1,
        &state_vector.encode_v1(),
    )
}

/// `[document, 0, 1, update]`: SyncStep2, the answer to a step1.
pub fn sync_step2(document: &str, update: &[u8]) -> Vec<u8> {
    sync_frame(document, HocuspocusMessageType::Sync, SYNC_STEP2, update)
}

/// `[document, 0, 2, update]`: an incremental document update.
pub fn sync_update(document: &str, update: &[u8]) -> Vec<u8> {
    sync_frame(document, HocuspocusMessageType::Sync, SYNC_UPDATE, update)
}

/// `[document, 4, sync message]`: a sync message not to be answered with a step1. Providers
/// do not understand it; it is for server instances.
pub fn sync_reply(document: &str, message: &SyncMessage<'_>) -> Vec<u8> {
    sync_message(document, HocuspocusMessageType::SyncReply, message)
}

/// `[document, 1, awareness_update]`: awareness states.
pub fn awareness(document: &str, update: &AwarenessUpdate) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::Awareness, |e| {
        e.write_buf(update.encode_v1())
    })
}

/// `[document, 2, 0, token, provider_version?]`: the token a client sends first for a document
/// (`""` when it has none).
pub fn token(document: &str, token: &str, provider_version: Option<&str>) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::Auth, |e| {
        e.write_var(AUTH_TOKEN);
        e.write_string(token);
        if let Some(version) = provider_version {
            e.write_string(version);
        }
    })
}

/// `[document, 2, 0]`: the server asks the provider to send its token again.
pub fn token_request(document: &str) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::Auth, |e| {
        e.write_var(AUTH_TOKEN)
    })
}

/// `[document, 2, 1, reason]`: the token was refused for this document.
pub fn permission_denied(document: &str, reason: &str) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::Auth, |e| {
        e.write_var(AUTH_PERMISSION_DENIED);
        e.write_string(reason);
    })
}

/// `[document, 2, 2, scope]`: the token was accepted with `scope`.
pub fn authenticated(document: &str, scope: AuthScope) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::Auth, |e| {
        e.write_var(AUTH_AUTHENTICATED);
        e.write_string(scope.as_str());
    })
}

/// `[document, 3]`: ask the peer for every awareness state it knows.
pub fn query_awareness(document: &str) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::QueryAwareness, |_| {})
}

/// `[document, 5, payload]`: an application-defined string for the other side.
pub fn stateless(document: &str, payload: &str) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::Stateless, |e| {
        e.write_string(payload)
    })
}

/// `[document, 6, payload]`: a stateless string for every connection of the document.
/// Hocuspocus closes a client connection that sends it; send [`stateless`] to providers.
pub fn broadcast_stateless(document: &str, payload: &str) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::BroadcastStateless, |e| {
        e.write_string(payload)
    })
}

/// `[document, 7, reason?]`: the document connection is over. A server gives a reason (the
/// provider reads one unconditionally); a provider detaching gives none.
pub fn close(document: &str, reason: Option<&str>) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::Close, |e| {
        if let Some(reason) = reason {
            e.write_string(reason);
        }
    })
}

/// `[document, 8, 1 | 0]`: whether the last step2 or update was applied.
pub fn sync_status(document: &str, is_applied: bool) -> Vec<u8> {
    addressed(document, HocuspocusMessageType::SyncStatus, |e| {
        e.write_var(u8::from(is_applied))
    })
}

/// `[9]`: a keep-alive probe, with no document name.
pub fn ping() -> Vec<u8> {
    vec![HocuspocusMessageType::Ping as u8]
}

/// `[10]`: the answer to a ping, with no document name.
pub fn pong() -> Vec<u8> {
    vec![HocuspocusMessageType::Pong as u8]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_awareness_update;
    use crate::hocuspocus::decode;

    fn every_kind_of_frame(update: &AwarenessUpdate) -> Vec<HocuspocusFrame<'static>> {
        let mut state_vector = StateVector::default();
        state_vector.set_max(yrs::ClientID::new(1234), 2);
        let at = |message| HocuspocusFrame::Document {
            document: "notes/demo\0session",
            message,
        };
        let auth = |message| at(HocuspocusMessage::Auth(message));
        vec![
            at(HocuspocusMessage::Sync(SyncMessage::Step1(
                state_vector.clone(),
            ))),
            at(HocuspocusMessage::Sync(SyncMessage::Step2(&[0, 0]))),
            at(HocuspocusMessage::Sync(SyncMessage::Update(&[1, 2, 3]))),
            at(HocuspocusMessage::SyncReply(SyncMessage::Step1(
                state_vector,
            ))),
            at(HocuspocusMessage::SyncReply(SyncMessage::Step2(&[0, 0]))),
            at(HocuspocusMessage::SyncReply(SyncMessage::Update(&[4]))),
            at(HocuspocusMessage::Awareness(update.clone())),
            auth(HocuspocusAuthMessage::Token {
                token: "secret",
                provider_version: Some("4.8.0"),
            }),
            auth(HocuspocusAuthMessage::Token {
                token: "",
                provider_version: None,
            }),
            auth(HocuspocusAuthMessage::TokenRequest),
            auth(HocuspocusAuthMessage::PermissionDenied { reason: "no" }),
            auth(HocuspocusAuthMessage::Authenticated {
                scope: AuthScope::ReadOnly,
            }),
            auth(HocuspocusAuthMessage::Authenticated {
                scope: AuthScope::ReadWrite,
            }),
            at(HocuspocusMessage::QueryAwareness),
            at(HocuspocusMessage::Stateless("{\"ping\":1}")),
            at(HocuspocusMessage::BroadcastStateless("all")),
            at(HocuspocusMessage::Close { reason: None }),
            at(HocuspocusMessage::Close {
                reason: Some("Server closed the connection"),
            }),
            at(HocuspocusMessage::SyncStatus { is_applied: true }),
            at(HocuspocusMessage::SyncStatus { is_applied: false }),
            HocuspocusFrame::Ping,
            HocuspocusFrame::Pong,
        ]
    }

    #[test]
    fn every_message_round_trips_through_decode() {
        let update = decode_awareness_update(&[1, 210, 9, 1, 2, b'{', b'}']).unwrap();
        for original in every_kind_of_frame(&update) {
            let bytes = frame(&original);
            assert_eq!(decode(&bytes).unwrap(), original, "{bytes:?}");
        }
    }

    #[test]
    fn the_shorthand_encoders_write_what_the_general_one_writes() {
        let mut state_vector = StateVector::default();
        state_vector.set_max(yrs::ClientID::new(7), 3);
        assert_eq!(
            sync_step1("d", &state_vector),
            sync("d", &SyncMessage::Step1(state_vector.clone()))
        );
        assert_eq!(
            sync_step2("d", &[0, 0]),
            sync("d", &SyncMessage::Step2(&[0, 0]))
        );
        assert_eq!(
            sync_update("d", &[5]),
            sync("d", &SyncMessage::Update(&[5]))
        );
    }

    #[test]
    fn messages_are_laid_out_as_hocuspocus_writes_them() {
        assert_eq!(sync_status("d", true), [1, b'd', 8, 1]);
        assert_eq!(sync_status("d", false), [1, b'd', 8, 0]);
        assert_eq!(token_request("d"), [1, b'd', 2, 0]);
        assert_eq!(close("d", None), [1, b'd', 7]);
        assert_eq!(query_awareness(""), [0, 3]);
        assert_eq!(ping(), [9]);
        assert_eq!(pong(), [10]);
    }
}
