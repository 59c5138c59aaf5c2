//! Room load time for the automerge-paper editing trace (issue 3, target ≤ 20 ms compacted).
//!
//! "Room load" is what the server does before it answers the first sync message of a room
//! that is not in memory: `DocStore::load` followed by `rebuild_document` (validating every update) and `Room::new`.
//! The trace (259,778 single-character edits, `data/README.md`) is stored two ways:
//! - `updates`: one row per edit, as a room that was never compacted;
//! - `compacted`: one snapshot row, as after background compaction.
//!
//! Each way is loaded from a `SqliteStore` (the embedded default) and from a `MemoryStore`;
//! the difference between the two is the SQLite read.
//!
//! `room_load_parts` separates the pieces: decoding the snapshot, and the SQLite read of
//! every row of the separate-updates log.
//!
//! Run with `cargo bench -p ycord-benches --bench room_load`.

use std::env;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use flate2::read::GzDecoder;
use serde::Deserialize;
use tempfile::TempDir;
use tokio::runtime::Runtime;
use ycord_persistence::{DocStore, MemoryStore, SqliteStore};
use ycord_server::bench_internals::{rebuild_document, Room};
use yrs::sync::time::SystemClock;
use yrs::updates::decoder::Decode;
use yrs::{
    ClientID, Doc, GetString, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update,
    WriteTxn,
};

/// The room that holds the trace as one stored update per edit.
const UPDATES_DOC: &str = "automerge-paper-updates";
/// The room that holds the trace as one compacted snapshot.
const COMPACTED_DOC: &str = "automerge-paper-compacted";
/// Updates per `append_batch` call while filling the store.
const APPEND_CHUNK: usize = 10_000;

/// The editing trace as automerge-perf publishes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Trace {
    end_content: String,
    txns: Vec<Txn>,
}

#[derive(Deserialize)]
struct Txn {
    patches: Vec<Patch>,
}

/// `[position, number of characters deleted, text inserted]`.
#[derive(Deserialize)]
struct Patch(u32, u32, String);

fn read_trace() -> Trace {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/automerge-paper.json.gz");
    let file = File::open(&path).unwrap_or_else(|err| panic!("open {}: {err}", path.display()));
    serde_json::from_reader(BufReader::new(GzDecoder::new(file)))
        .unwrap_or_else(|err| panic!("parse {}: {err}", path.display()))
}

/// A document configured as the server's rooms are.
fn new_doc() -> Doc {
    Doc::with_options(Options {
        client_id: ClientID::new(1),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

/// Replays the trace, one transaction per patch as an editor would send it, returning each
/// transaction's v1 update and the final state as one snapshot update.
fn replay(trace: &Trace) -> (Vec<Bytes>, Bytes) {
    let doc = new_doc();
    let text = doc.transact_mut().get_or_insert_text("text");
    let mut updates = Vec::with_capacity(trace.txns.len());
    for Patch(position, deleted, inserted) in trace.txns.iter().flat_map(|txn| &txn.patches) {
        let mut txn = doc.transact_mut();
        if *deleted > 0 {
            text.remove_range(&mut txn, *position, *deleted);
        }
        if !inserted.is_empty() {
            text.insert(&mut txn, *position, inserted);
        }
        updates.push(Bytes::from(txn.encode_update_v1()));
    }
    let txn = doc.transact();
    assert_eq!(
        text.get_string(&txn),
        trace.end_content,
        "replaying the trace"
    );
    let snapshot = txn.encode_state_as_update_v1(&StateVector::default());
    (updates, snapshot.into())
}

/// What the server does before it answers a room's first sync message.
async fn load_room(store: &dyn DocStore, doc: &str) -> Room {
    let stored = store.load(doc).await.expect("load from the store");
    let rebuilt = rebuild_document(&stored).expect("stored updates are valid");
    assert!(
        rebuilt.unreadable.is_empty(),
        "every stored update is readable"
    );
    Room::new(rebuilt.doc, SystemClock)
}

/// Decodes each update and applies it, all in one transaction: the alternative to merging.
fn apply_each(updates: &[&[u8]]) -> Doc {
    let doc = new_doc();
    {
        let mut txn = doc.transact_mut();
        for update in updates {
            let update = Update::decode_v1(update).expect("decode");
            txn.apply_update(update).expect("apply");
        }
    }
    doc
}

fn doc_text(doc: &Doc) -> String {
    let text = doc.get_or_insert_text("text");
    let txn = doc.transact();
    text.get_string(&txn)
}

/// Times `iters` runs of `routine`; each output is dropped outside the timed span.
fn time_each<T>(iters: u64, mut routine: impl FnMut() -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let started = Instant::now();
        let output = routine();
        total += started.elapsed();
        drop(output);
    }
    total
}

/// Both stores, each holding the trace both ways.
struct Fixture {
    runtime: Runtime,
    _dir: TempDir,
    sqlite: SqliteStore,
    memory: MemoryStore,
    updates: Vec<Bytes>,
    snapshot: Bytes,
    end_content: String,
}

impl Fixture {
    fn new() -> Self {
        let started = Instant::now();
        let trace = read_trace();
        let (updates, snapshot) = replay(&trace);
        let update_bytes: usize = updates.iter().map(Bytes::len).sum();
        eprintln!(
            "room_load: replayed {} edits in {:.1?}: {update_bytes} bytes of updates, \
             snapshot {} bytes, {} characters",
            updates.len(),
            started.elapsed(),
            snapshot.len(),
            trace.end_content.chars().count(),
        );

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite = SqliteStore::open(&dir.path().join("ycord.sqlite3")).expect("open SQLite");
        let memory = MemoryStore::new();
        runtime.block_on(async {
            for store in [&sqlite as &dyn DocStore, &memory] {
                for chunk in updates.chunks(APPEND_CHUNK) {
                    let batch: Vec<(&str, Bytes)> =
                        chunk.iter().map(|u| (UPDATES_DOC, u.clone())).collect();
                    store.append_batch(&batch).await.expect("append updates");
                }
                store
                    .append(COMPACTED_DOC, snapshot.clone())
                    .await
                    .expect("append snapshot");
            }
        });

        // What the store gives back must rebuild the document exactly, or the timings mean
        // nothing. The separate updates are checked through `apply_each`, which takes
        // seconds where `Room::new` takes minutes.
        let compacted = runtime.block_on(load_room(&sqlite, COMPACTED_DOC));
        assert_eq!(
            doc_text(compacted.doc()),
            trace.end_content,
            "compacted room"
        );
        let stored = runtime
            .block_on(sqlite.load(UPDATES_DOC))
            .expect("load updates");
        let slices: Vec<&[u8]> = stored.iter().map(|update| &update.data[..]).collect();
        assert_eq!(slices.len(), updates.len(), "stored update count");
        assert_eq!(
            doc_text(&apply_each(&slices)),
            trace.end_content,
            "stored updates"
        );

        Fixture {
            runtime,
            _dir: dir,
            sqlite,
            memory,
            updates,
            snapshot,
            end_content: trace.end_content,
        }
    }

    fn load_room(&self, store: &dyn DocStore, doc: &str) -> Room {
        self.runtime.block_on(load_room(store, doc))
    }
}

fn room_load(c: &mut Criterion) {
    let fixture = Fixture::new();
    let stores: [(&str, &dyn DocStore); 2] =
        [("sqlite", &fixture.sqlite), ("memory", &fixture.memory)];
    let count = fixture.updates.len();

    let mut group = c.benchmark_group("room_load");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for (name, store) in stores {
        group.bench_function(format!("{name}/compacted"), |b| {
            b.iter_custom(|iters| time_each(iters, || fixture.load_room(store, COMPACTED_DOC)))
        });
    }
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(40));
    for (name, store) in stores {
        let room = fixture.load_room(store, UPDATES_DOC);
        assert_eq!(doc_text(room.doc()), fixture.end_content, "{name} room");
        group.bench_function(format!("{name}/{count}_updates"), |b| {
            b.iter_custom(|iters| time_each(iters, || fixture.load_room(store, UPDATES_DOC)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("room_load_parts");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("decode_v1/compacted", |b| {
        b.iter(|| Update::decode_v1(&fixture.snapshot).expect("decode"))
    });
    group.bench_function(format!("sqlite_read/{count}_updates"), |b| {
        b.iter_custom(|iters| {
            time_each(iters, || {
                fixture
                    .runtime
                    .block_on(fixture.sqlite.load(UPDATES_DOC))
                    .expect("load")
            })
        })
    });
    group.finish();
}

criterion_group!(benches, room_load);
criterion_main!(benches);
