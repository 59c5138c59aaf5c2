//! Seeded, replayable runs of honest writers and hostile connections on one room. The hostile
//! side sends mutated copies of the frames the room relays (bit flips, truncations, trailing
//! and inserted bytes, spliced frames, random bytes). Whatever it sends:
//! - no honest connection is closed and the room never needs a reload,
//! - everything stored or relayed is a valid update that yrs applies,
//! - every honest edit is in the room (by struct id) and the honest writers converge with it,
//! - the stored log rebuilds exactly the room's document.
//!
//! `YCORD_TEST_SEED=N` replays one seed; `YCORD_TEST_STEPS=N` makes runs longer.

use std::collections::VecDeque;

use fastrand::Rng;
use ycord_persistence::StoredUpdate;
use ycord_protocol::validate_update_v1;
use yrs::{GetString, Map, Text, WriteTxn, ID};

use super::*;
use crate::load::{new_document, rebuild_document};
use ycord_protocol::ManualClock;

const HONEST: u64 = 3;
/// The connection that only listens, as a late-joining JavaScript client would.
const OBSERVER: ConnId = 50;

struct Writer {
    conn: ConnId,
    client: u64,
    doc: Doc,
    edits: u32,
    /// Clock ranges of the text this writer inserted.
    text: Vec<std::ops::Range<u32>>,
}

impl Writer {
    fn new(conn: ConnId) -> Self {
        let doc = Doc::with_options(yrs::Options {
            client_id: ClientID::new(conn * 1000 + 7),
            offset_kind: yrs::OffsetKind::Utf16,
            ..yrs::Options::default()
        });
        Writer {
            conn,
            client: conn * 1000 + 7,
            doc,
            edits: 0,
            text: Vec::new(),
        }
    }

    /// One insert-only edit (text or map), encoded as y-websocket sends it: the transaction's
    /// own update.
    fn edit(&mut self, rng: &mut Rng) -> Bytes {
        self.edits += 1;
        let token = format!("[{}-{}]", self.conn, self.edits);
        let start = self.clock();
        let update = {
            let mut txn = self.doc.transact_mut();
            if rng.bool() {
                let text = txn.get_or_insert_text("text");
                let len = text.len(&txn);
                text.insert(&mut txn, rng.u32(..=len), &token);
                self.text.push(start..start + token.len() as u32);
            } else {
                let map = txn.get_or_insert_map("map");
                map.insert(&mut txn, token, i64::from(self.edits));
            }
            txn.encode_update_v1()
        };
        encode::sync_update(&update).into()
    }

    fn clock(&self) -> u32 {
        self.doc
            .transact()
            .state_vector()
            .get(&ClientID::new(self.client))
    }
}

/// A hostile variation of `frame` (`other` is spliced in sometimes).
pub(crate) fn mutate(rng: &mut Rng, frame: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = frame.to_vec();
    let rounds = 1 + rng.usize(..3);
    for _ in 0..rounds {
        if out.is_empty() {
            out.push(rng.u8(..));
        }
        match rng.u8(..8) {
            0 | 1 => {
                let bit = rng.usize(..out.len() * 8);
                out[bit / 8] ^= 1 << (bit % 8);
            }
            2 => out.truncate(rng.usize(..out.len())),
            3 => out.extend((0..rng.usize(1..4)).map(|_| rng.u8(..))),
            4 => {
                let at = rng.usize(..=out.len());
                out.insert(at, rng.u8(..));
            }
            5 => {
                let at = rng.usize(..out.len());
                out.remove(at);
            }
            6 => {
                // The head of one frame on the tail of another.
                let cut = rng.usize(..=out.len().min(other.len()));
                out.truncate(cut);
                out.extend_from_slice(&other[cut..]);
            }
            _ => {
                let at = rng.usize(..out.len());
                out[at] = rng.u8(..);
            }
        }
    }
    out
}

#[derive(Debug, Default)]
struct Stats {
    hostile_frames: u64,
    refused: u64,
    honest_edits: u64,
    honest_text_deleted: u64,
    diverged_clients: u64,
    diverged_store: u64,
}

fn run(seed: u64, steps: usize) -> Stats {
    let mut rng = Rng::with_seed(seed);
    let mut room = Room::new(new_document(), ManualClock::new(0));
    let mut writers: Vec<Writer> = (1..=HONEST).map(Writer::new).collect();
    let observer = new_document();
    for conn in (1..=HONEST).chain([OBSERVER]) {
        room.join(conn);
    }
    let mut hostile: ConnId = 100;
    room.join(hostile);
    let mut pool: VecDeque<Bytes> = VecDeque::new();
    let mut stored: Vec<StoredUpdate> = Vec::new();
    let mut stats = Stats::default();

    for step in 0..steps {
        let (conn, frame) = if pool.is_empty() || rng.u8(..4) == 0 {
            let chosen = rng.usize(..writers.len());
            let writer = &mut writers[chosen];
            stats.honest_edits += 1;
            (writer.conn, writer.edit(&mut rng))
        } else {
            stats.hostile_frames += 1;
            let frame = if rng.u8(..16) == 0 {
                (0..rng.usize(1..40)).map(|_| rng.u8(..)).collect()
            } else {
                let a = &pool[rng.usize(..pool.len())];
                let b = &pool[rng.usize(..pool.len())];
                mutate(&mut rng, a, b)
            };
            (hostile, Bytes::from(frame))
        };
        for effect in room.receive(conn, frame.clone()) {
            match effect {
                Effect::Append(update) => {
                    validate_update_v1(&update)
                        .unwrap_or_else(|e| panic!("seed {seed} step {step}: stored {e}"));
                    stored.push(StoredUpdate {
                        seq: stored.len() as u64 + 1,
                        data: update,
                    });
                }
                Effect::Broadcast(relayed) => {
                    let messages = decode_frame(&relayed)
                        .unwrap_or_else(|e| panic!("seed {seed} step {step}: relayed {e}"));
                    for message in &messages {
                        if let Message::Sync(sync) = message {
                            let update = sync.update().expect("only updates are broadcast");
                            validate_update_v1(update)
                                .unwrap_or_else(|e| panic!("seed {seed} step {step}: relayed {e}"));
                            for doc in writers.iter().map(|w| &w.doc).chain([&observer]) {
                                doc.transact_mut()
                                    .apply_update(Update::decode_v1(update).unwrap())
                                    .unwrap_or_else(|e| {
                                        panic!("seed {seed} step {step}: a client failed: {e}")
                                    });
                            }
                        }
                    }
                    if pool.len() == 64 {
                        pool.pop_front();
                    }
                    pool.push_back(relayed);
                }
                Effect::Close(closed, reason) => {
                    assert_eq!(
                        closed, hostile,
                        "seed {seed} step {step}: honest connection closed: {reason:?}"
                    );
                    assert!(
                        [1002, 1003, 1007].contains(&reason.code()),
                        "seed {seed} step {step}: {reason:?}"
                    );
                    stats.refused += 1;
                    hostile += 1;
                    room.join(hostile);
                }
                Effect::Send(..) => {}
                Effect::Reload => panic!("seed {seed} step {step}: yrs panicked"),
            }
        }
    }

    let state = room.encode_state();
    let in_room = Update::decode_v1(&state).unwrap();
    let room_state = room.doc().transact().state_vector();
    for writer in &writers {
        let client = ClientID::new(writer.client);
        assert_eq!(
            room_state.get(&client),
            writer.clock(),
            "seed {seed}: every edit of writer {} is in the room",
            writer.conn
        );
        // A valid hostile update may delete (a delete set, or a map entry placed after a text
        // item, which deletes it): a writer may delete anything. That is counted, not an error.
        stats.honest_text_deleted += writer
            .text
            .iter()
            .flat_map(|range| range.clone())
            .filter(|&clock| in_room.delete_set().contains(&ID::new(client, clock)))
            .count() as u64;
    }
    let text_of = |doc: &Doc| doc.get_or_insert_text("text").get_string(&doc.transact());
    let room_text = text_of(room.doc());
    for doc in writers.iter().map(|w| &w.doc).chain([&observer]) {
        assert_eq!(
            doc.transact().state_vector(),
            room_state,
            "seed {seed}: every client holds everything the room holds"
        );
        if text_of(doc) != room_text {
            stats.diverged_clients += 1;
        }
    }
    let rebuilt = rebuild_document(&stored).unwrap();
    assert!(
        rebuilt.unreadable.is_empty(),
        "seed {seed}: {:?}",
        rebuilt.unreadable
    );
    assert_eq!(
        rebuilt.doc.transact().state_vector(),
        room_state,
        "seed {seed}: the store has everything the room has"
    );
    if text_of(&rebuilt.doc) != room_text {
        stats.diverged_store += 1;
    }
    stats
}

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.parse().expect(name))
}

#[test]
fn mutated_copies_of_relayed_frames_never_reach_the_store_or_other_clients() {
    let steps = env("YCORD_TEST_STEPS").map_or(600, |n| n as usize);
    let seeds: Vec<u64> = match env("YCORD_TEST_SEED") {
        Some(seed) => vec![seed],
        None => (1..=24).collect(),
    };
    let mut total = Stats::default();
    for seed in seeds {
        let stats = run(seed, steps);
        total.hostile_frames += stats.hostile_frames;
        total.refused += stats.refused;
        total.honest_edits += stats.honest_edits;
        total.honest_text_deleted += stats.honest_text_deleted;
        total.diverged_clients += stats.diverged_clients;
        total.diverged_store += stats.diverged_store;
    }
    // Most mutations are refused; those that are not are valid updates (a new client's
    // insertion, a duplicate) that were checked above like any other.
    assert!(total.refused * 2 > total.hostile_frames, "{total:?}");
    println!("{total:?}");
}
