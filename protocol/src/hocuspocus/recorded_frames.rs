//! Frames recorded from the real JS packages by `interop/support/record_hocuspocus_frames.mjs`
//! (`@hocuspocus/provider` 4.8.0, `@hocuspocus/server` 4.7.0, yjs 13.6): each must decode to
//! what the packages meant, and encode back to the same bytes.

use yrs::updates::decoder::Decode;
use yrs::{ClientID, GetString, ReadTxn, StateVector, Transact, Update};

use super::{decode, encode, AuthScope, HocuspocusAuthMessage, HocuspocusFrame, HocuspocusMessage};
use crate::message::SyncMessage;

/// The provider's document: client 1234 inserted "hi" into the text `body`.
const PROVIDER_UPDATE: [u8; 16] = [1, 1, 210, 9, 0, 4, 1, 4, 98, 111, 100, 121, 2, 104, 105, 0];

const PROVIDER_TOKEN: &[u8] = &[
    10, 110, 111, 116, 101, 115, 47, 100, 101, 109, 111, 2, 0, 12, 115, 101, 99, 114, 101, 116, 45,
    116, 111, 107, 101, 110, 5, 52, 46, 56, 46, 48,
];
const PROVIDER_STEP1: &[u8] = &[
    10, 110, 111, 116, 101, 115, 47, 100, 101, 109, 111, 0, 0, 4, 1, 210, 9, 2,
];
const PROVIDER_AWARENESS: &[u8] = &[
    10, 110, 111, 116, 101, 115, 47, 100, 101, 109, 111, 1, 19, 1, 210, 9, 1, 14, 123, 34, 117,
    115, 101, 114, 34, 58, 34, 97, 100, 97, 34, 125,
];
const PROVIDER_PONG: &[u8] = &[10];
const PROVIDER_STEP2_REPLY: &[u8] = &[
    10, 110, 111, 116, 101, 115, 47, 100, 101, 109, 111, 0, 1, 16, 1, 1, 210, 9, 0, 4, 1, 4, 98,
    111, 100, 121, 2, 104, 105, 0,
];
const PROVIDER_AWARENESS_REMOVAL: &[u8] = &[
    10, 110, 111, 116, 101, 115, 47, 100, 101, 109, 111, 1, 9, 1, 210, 9, 2, 4, 110, 117, 108, 108,
];
const PROVIDER_CLOSE: &[u8] = &[10, 110, 111, 116, 101, 115, 47, 100, 101, 109, 111, 7];

const SERVER_AUTHENTICATED_READ_WRITE: &[u8] = &[
    1, 100, 2, 2, 10, 114, 101, 97, 100, 45, 119, 114, 105, 116, 101,
];
const SERVER_STEP1: &[u8] = &[1, 100, 0, 0, 1, 0];
const SERVER_STEP2: &[u8] = &[1, 100, 0, 1, 2, 0, 0];
const SERVER_APPLIED: &[u8] = &[1, 100, 8, 1];
const SERVER_UPDATE_ECHO: &[u8] = &[
    1, 100, 0, 2, 16, 1, 1, 210, 9, 0, 4, 1, 4, 98, 111, 100, 121, 2, 104, 105, 0,
];
const SERVER_AUTHENTICATED_READ_ONLY: &[u8] =
    &[1, 100, 2, 2, 8, 114, 101, 97, 100, 111, 110, 108, 121];
const SERVER_REFUSED_UPDATE: &[u8] = &[1, 100, 8, 0];
const SERVER_PERMISSION_DENIED: &[u8] = &[1, 100, 2, 1, 9, 110, 111, 32, 97, 99, 99, 101, 115, 115];
const SERVER_CLOSE: &[u8] = &[
    1, 100, 7, 18, 112, 114, 111, 118, 105, 100, 101, 114, 95, 105, 110, 105, 116, 105, 97, 116,
    101, 100,
];

fn message_to(document: &str, bytes: &'static [u8]) -> HocuspocusMessage<'static> {
    let frame = decode(bytes).unwrap_or_else(|err| panic!("{bytes:?}: {err}"));
    assert_eq!(
        encode::frame(&frame),
        bytes,
        "re-encoding changed the bytes"
    );
    match frame {
        HocuspocusFrame::Document {
            document: address,
            message,
        } => {
            assert_eq!(address, document);
            message
        }
        other => panic!("{bytes:?} is not addressed to a document: {other:?}"),
    }
}

#[test]
fn a_provider_opens_with_its_token_and_version_then_step1_then_awareness() {
    assert_eq!(
        message_to("notes/demo", PROVIDER_TOKEN),
        HocuspocusMessage::Auth(HocuspocusAuthMessage::Token {
            token: "secret-token",
            provider_version: Some("4.8.0"),
        })
    );

    let HocuspocusMessage::Sync(SyncMessage::Step1(state_vector)) =
        message_to("notes/demo", PROVIDER_STEP1)
    else {
        panic!("the second frame is not a step1");
    };
    assert_eq!(state_vector.get(&ClientID::new(1234)), 2);

    let HocuspocusMessage::Awareness(update) = message_to("notes/demo", PROVIDER_AWARENESS) else {
        panic!("the third frame is not awareness");
    };
    let entry = &update.clients[&ClientID::new(1234)];
    assert_eq!((entry.clock, &*entry.json), (1, r#"{"user":"ada"}"#));
}

#[test]
fn a_provider_answers_a_ping_with_a_lone_pong() {
    assert_eq!(decode(PROVIDER_PONG).unwrap(), HocuspocusFrame::Pong);
    assert_eq!(encode::pong(), PROVIDER_PONG);
}

#[test]
fn a_provider_answers_step1_with_its_document_as_a_sync_step2() {
    let HocuspocusMessage::Sync(SyncMessage::Step2(update)) =
        message_to("notes/demo", PROVIDER_STEP2_REPLY)
    else {
        panic!("not a step2");
    };
    assert_eq!(update, PROVIDER_UPDATE);
    let doc = yrs::Doc::new();
    let text = doc.get_or_insert_text("body");
    doc.transact_mut()
        .apply_update(Update::decode_v1(update).unwrap())
        .unwrap();
    assert_eq!(text.get_string(&doc.transact()), "hi");
    assert_eq!(doc.transact().state_vector(), {
        let mut expected = StateVector::default();
        expected.set_max(ClientID::new(1234), 2);
        expected
    });
}

#[test]
fn a_destroyed_provider_removes_its_awareness_then_closes_without_a_reason() {
    let HocuspocusMessage::Awareness(update) = message_to("notes/demo", PROVIDER_AWARENESS_REMOVAL)
    else {
        panic!("not awareness");
    };
    let entry = &update.clients[&ClientID::new(1234)];
    assert_eq!((entry.clock, &*entry.json), (2, "null"));
    assert_eq!(
        message_to("notes/demo", PROVIDER_CLOSE),
        HocuspocusMessage::Close { reason: None }
    );
}

#[test]
fn a_server_authenticates_then_answers_step1_with_step1_and_step2_and_acks_updates() {
    assert_eq!(
        message_to("d", SERVER_AUTHENTICATED_READ_WRITE),
        HocuspocusMessage::Auth(HocuspocusAuthMessage::Authenticated {
            scope: AuthScope::ReadWrite
        })
    );
    assert_eq!(
        message_to("d", SERVER_STEP1),
        HocuspocusMessage::Sync(SyncMessage::Step1(StateVector::default()))
    );
    assert_eq!(
        message_to("d", SERVER_STEP2),
        HocuspocusMessage::Sync(SyncMessage::Step2(&[0, 0]))
    );
    assert_eq!(
        message_to("d", SERVER_APPLIED),
        HocuspocusMessage::SyncStatus { is_applied: true }
    );
    assert_eq!(
        message_to("d", SERVER_UPDATE_ECHO),
        HocuspocusMessage::Sync(SyncMessage::Update(&PROVIDER_UPDATE))
    );
}

#[test]
fn a_server_refuses_a_read_only_update_with_sync_status_false() {
    assert_eq!(
        message_to("d", SERVER_AUTHENTICATED_READ_ONLY),
        HocuspocusMessage::Auth(HocuspocusAuthMessage::Authenticated {
            scope: AuthScope::ReadOnly
        })
    );
    assert_eq!(
        message_to("d", SERVER_REFUSED_UPDATE),
        HocuspocusMessage::SyncStatus { is_applied: false }
    );
}

#[test]
fn a_server_denies_with_a_reason_and_closes_with_one() {
    assert_eq!(
        message_to("d", SERVER_PERMISSION_DENIED),
        HocuspocusMessage::Auth(HocuspocusAuthMessage::PermissionDenied {
            reason: "no access"
        })
    );
    assert_eq!(
        message_to("d", SERVER_CLOSE),
        HocuspocusMessage::Close {
            reason: Some("provider_initiated")
        }
    );
}

/// One damaged copy of `frame`: a flipped bit, a cut, an inserted byte or a repeated tail.
fn mutate(frame: &[u8], rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut bytes = frame.to_vec();
    for _ in 0..=rng.usize(..3) {
        let at = rng.usize(..bytes.len().max(1));
        match rng.u8(..4) {
            0 if !bytes.is_empty() => bytes[at] ^= 1 << rng.u8(..8),
            1 => bytes.truncate(at),
            2 => bytes.insert(at.min(bytes.len()), rng.u8(..)),
            _ => {
                let tail = bytes[at.min(bytes.len())..].to_vec();
                bytes.extend_from_slice(&tail);
            }
        }
    }
    bytes
}

#[test]
fn damaged_real_frames_are_refused_or_mean_exactly_what_they_encode() {
    let seed = std::env::var("YCORD_TEST_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(0x5eed_0015_u64);
    let mut rng = fastrand::Rng::with_seed(seed);
    let recorded = [
        PROVIDER_TOKEN,
        PROVIDER_STEP1,
        PROVIDER_AWARENESS,
        PROVIDER_PONG,
        PROVIDER_STEP2_REPLY,
        PROVIDER_AWARENESS_REMOVAL,
        PROVIDER_CLOSE,
        SERVER_AUTHENTICATED_READ_WRITE,
        SERVER_STEP1,
        SERVER_STEP2,
        SERVER_APPLIED,
        SERVER_UPDATE_ECHO,
        SERVER_AUTHENTICATED_READ_ONLY,
        SERVER_REFUSED_UPDATE,
        SERVER_PERMISSION_DENIED,
        SERVER_CLOSE,
    ];
    let (mut refused, mut accepted) = (0, 0);
    for _ in 0..20_000 {
        let damaged = mutate(recorded[rng.usize(..recorded.len())], &mut rng);
        // A damaged frame either decodes to a message that encodes back to the same meaning and
        // size (nothing half-read or silently skipped), or is refused with an error kind.
        match decode(&damaged) {
            Ok(frame) => {
                let again = encode::frame(&frame);
                // Same length: no trailing byte was ignored and no varint was over-long (the
                // order of map entries may differ, their bytes may not).
                assert_eq!(again.len(), damaged.len(), "seed {seed:#x}: {damaged:?}");
                assert_eq!(
                    decode(&again).expect("an encoded frame decodes"),
                    frame,
                    "seed {seed:#x}: {damaged:?}"
                );
                accepted += 1;
            }
            Err(err) => {
                let _ = err.kind();
                refused += 1;
            }
        }
    }
    assert!(
        refused > 10_000 && accepted > 100,
        "the mutations exercise both paths ({refused} refused, {accepted} accepted)"
    );
}
