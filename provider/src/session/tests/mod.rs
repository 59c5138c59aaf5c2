//! Unit tests of the session: the sync rules and the awareness rules, each against one or two
//! sessions wired together by hand on a manual clock.

mod awareness;
mod hocuspocus;
mod sync;

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::sync::Mutex;
use ycord_protocol::ManualClock;
use yrs::sync::AwarenessUpdate;
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::Update;
use yrs::{Any, Array, GetString, Map, Options, Text, WriteTxn};

fn doc(id: u64) -> Doc {
    Doc::with_options(Options {
        client_id: ClientID::new(id),
        offset_kind: yrs::OffsetKind::Utf16,
        ..Options::default()
    })
}

fn session(id: u64, clock: &ManualClock) -> SyncSession {
    SyncSession::new(doc(id), clock.clone())
}

/// Captures what a provider would send for local edits: every update whose transaction
/// did not come from the session.
fn capture_local_updates(session: &SyncSession) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let captured = Arc::new(Mutex::new(Vec::new()));
    let sink = captured.clone();
    let remote = session.remote_origin().clone();
    session
        .doc()
        .observe_update_v1("test-capture", move |txn, event| {
            if txn.origin() != Some(&remote) {
                sink.lock().unwrap().push(event.update.clone());
            }
        })
        .unwrap();
    captured
}

/// Delivers frames back and forth until both sides are quiet.
fn pump(a: &mut SyncSession, b: &mut SyncSession, mut to_b: Vec<Vec<u8>>, mut to_a: Vec<Vec<u8>>) {
    for _ in 0..20 {
        if to_a.is_empty() && to_b.is_empty() {
            return;
        }
        let mut next_to_a = Vec::new();
        for frame in to_b.drain(..) {
            next_to_a.extend(b.frame_received(&frame).unwrap().frames);
        }
        let mut next_to_b = Vec::new();
        for frame in to_a.drain(..) {
            next_to_b.extend(a.frame_received(&frame).unwrap().frames);
        }
        to_a = next_to_a;
        to_b = next_to_b;
    }
    panic!("sessions kept talking");
}

fn messages(frame: &[u8]) -> Vec<Message<'_>> {
    decode_frame(frame).unwrap()
}

fn awareness_entries(frame: &[u8]) -> HashMap<u64, (u32, String)> {
    match messages(frame).remove(0) {
        Message::Awareness(update) => update
            .clients
            .into_iter()
            .map(|(id, e)| (id.get(), (e.clock, e.json.to_string())))
            .collect(),
        other => panic!("expected an awareness message, got {other:?}"),
    }
}

/// The three roots as canonical JSON (map keys sorted), for comparing replicas.
fn snapshot(doc: &Doc) -> serde_json::Value {
    let txn = doc.transact();
    let text = txn.get_text("text").map(|t| t.get_string(&txn));
    let map = txn.get_map("map").map(|m| m.to_json(&txn));
    let array = txn.get_array("array").map(|a| a.to_json(&txn));
    serde_json::json!({ "text": text, "map": map, "array": array })
}

fn random_edit(doc: &Doc, rng: &mut StdRng) {
    let mut txn = doc.transact_mut();
    match rng.random_range(0..3) {
        0 => {
            let text = txn.get_or_insert_text("text");
            let len = text.len(&txn);
            let at = rng.random_range(0..=len);
            if len > 0 && rng.random_bool(0.3) {
                text.remove_range(&mut txn, at.min(len - 1), 1);
            } else {
                text.insert(&mut txn, at, "xé");
            }
        }
        1 => {
            let map = txn.get_or_insert_map("map");
            let key = format!("k{}", rng.random_range(0..5));
            map.insert(&mut txn, key, rng.random_range(0..1000) as f64);
        }
        _ => {
            let array = txn.get_or_insert_array("array");
            let len = array.len(&txn);
            let at = rng.random_range(0..=len);
            array.insert(&mut txn, at, Any::from(rng.random_range(0..1000) as f64));
        }
    }
}
