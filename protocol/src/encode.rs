//! Encoders for each y-websocket message; each returns one complete frame.

use yrs::encoding::write::Write;
use yrs::sync::AwarenessUpdate;
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::StateVector;

use crate::message::MessageType;

fn frame(message_type: MessageType, body: impl FnOnce(&mut EncoderV1)) -> Vec<u8> {
    let mut encoder = EncoderV1::new();
    encoder.write_var(message_type as u8);
    body(&mut encoder);
    encoder.to_vec()
}

/// `[0, 0, state_vector]`: SyncStep1.
pub fn sync_step1(state_vector: &StateVector) -> Vec<u8> {
    frame(MessageType::Sync, |e| {
        e.write_var(0u8);
        e.write_buf(state_vector.encode_v1());
    })
}

/// `[0, 1, update]`: SyncStep2, the answer to a step1.
pub fn sync_step2(update: &[u8]) -> Vec<u8> {
    frame(MessageType::Sync, |e| {
        e.write_var(1u8);
        e.write_buf(update);
    })
}

/// `[0, 2, update]`: an incremental document update.
pub fn sync_update(update: &[u8]) -> Vec<u8> {
    frame(MessageType::Sync, |e| {
        e.write_var(2u8);
        e.write_buf(update);
    })
}

/// `[1, awareness_update]`: awareness states.
pub fn awareness(update: &AwarenessUpdate) -> Vec<u8> {
    frame(MessageType::Awareness, |e| e.write_buf(update.encode_v1()))
}

/// `[2, 0, reason]`: permission denied.
pub fn permission_denied(reason: &str) -> Vec<u8> {
    frame(MessageType::Auth, |e| {
        e.write_var(0u8);
        e.write_string(reason);
    })
}

/// `[3]`: ask the peer for every awareness state it knows.
pub fn query_awareness() -> Vec<u8> {
    frame(MessageType::QueryAwareness, |_| {})
}
