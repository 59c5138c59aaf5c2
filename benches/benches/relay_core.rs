//! Micro-benchmarks of the relay's hot paths, without sockets:
//! - frame decode and encode (`ycord-protocol`);
//! - fan-out: one update through the sans-IO `Room`, then its frame handed to each of 10, 100
//!   and 1,000 connection queues, as the room task does;
//! - awareness merge: one renewal applied to a room's `Presence`;
//! - durable append: one update appended to the embedded (SQLite) store, one commit each.
//!
//! `cargo bench -p ycord-benches --bench relay_core`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use ycord_benches::author::Author;
use ycord_persistence::{DocStore, SqliteStore};
use ycord_protocol::{decode_frame, encode, AwarenessTimer, ManualClock, Message};
use ycord_server::bench_internals::{new_document, Effect, Presence, Room};
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::AwarenessUpdate;
use yrs::ClientID;

/// A few thousand distinct edit frames from one author, as a client would send them.
fn edit_frames(count: usize) -> Vec<Bytes> {
    let mut author = Author::new(0x1234_5678, 7);
    (0..count)
        .map(|_| Bytes::from(encode::sync_update(&author.next_update())))
        .collect()
}

fn frames(c: &mut Criterion) {
    let frames = edit_frames(1_000);
    let update = author_update();
    let mut group = c.benchmark_group("frame");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode sync update", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % frames.len();
            decode_frame(&frames[i]).expect("valid frame").len()
        });
    });
    group.bench_function("encode sync update", |b| {
        b.iter(|| encode::sync_update(&update).len());
    });
    let awareness = encode::awareness(&renewal(42, 1, 0));
    group.bench_function("decode awareness", |b| {
        b.iter(|| decode_frame(&awareness).expect("valid frame").len());
    });
    group.finish();
}

fn author_update() -> Vec<u8> {
    Author::new(99, 1).next_update()
}

fn fan_out(c: &mut Criterion) {
    let mut group = c.benchmark_group("room fan-out");
    for connections in [10usize, 100, 1_000] {
        group.throughput(Throughput::Elements(connections as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(connections),
            &connections,
            |b, &connections| {
                let mut room = Room::new(new_document(), ManualClock::new(0));
                let mut senders = Vec::with_capacity(connections);
                let mut receivers = Vec::with_capacity(connections);
                for conn in 0..connections as u64 {
                    room.join(conn);
                    // Deep enough for one iteration batch; drained between batches.
                    let (tx, rx) = mpsc::channel::<Bytes>(4_096);
                    senders.push(tx);
                    receivers.push(rx);
                }
                // One author typing, as in a live room: each update is new to the room.
                let mut author = Author::new(0xfeed, 3);
                b.iter_batched(
                    || {
                        for rx in &mut receivers {
                            while rx.try_recv().is_ok() {}
                        }
                        Bytes::from(encode::sync_update(&author.next_update()))
                    },
                    |frame| {
                        let mut sent = 0;
                        for effect in room.receive(0, frame) {
                            if let Effect::Broadcast(frame) = effect {
                                for tx in &senders {
                                    sent += usize::from(tx.try_send(frame.clone()).is_ok());
                                }
                            }
                        }
                        sent
                    },
                    BatchSize::SmallInput,
                );
            },
        );
    }
    group.finish();
}

fn renewal(client: u64, clock: u32, t: u64) -> AwarenessUpdate {
    AwarenessUpdate {
        clients: HashMap::from([(
            ClientID::new(client),
            AwarenessUpdateEntry {
                clock,
                json: format!("{{\"user\":{{\"name\":\"client-{client}\"}},\"t\":{t}}}").into(),
            },
        )]),
    }
}

fn awareness_merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("awareness");
    group.throughput(Throughput::Elements(1));
    group.bench_function("merge one renewal (10 peers)", |b| {
        let mut presence = Presence::new(ManualClock::new(0), AwarenessTimer::default());
        for peer in 0..10u64 {
            presence.apply(peer, renewal(peer + 1, 1, 0), true);
        }
        let mut clock = 1;
        b.iter(|| {
            clock += 1;
            let update = renewal(1 + u64::from(clock) % 10, clock, u64::from(clock));
            presence.apply(0, update, false)
        });
    });
    let frame = encode::awareness(&renewal(7, 2, 5));
    group.bench_function("decode + merge one renewal frame", |b| {
        let mut presence = Presence::new(ManualClock::new(0), AwarenessTimer::default());
        let mut clock = 1;
        b.iter(|| {
            clock += 1;
            let Ok(mut messages) = decode_frame(&frame) else {
                unreachable!("valid frame")
            };
            let Some(Message::Awareness(mut update)) = messages.pop() else {
                unreachable!("an awareness message")
            };
            for entry in update.clients.values_mut() {
                entry.clock = clock;
            }
            presence.apply(0, update, false)
        });
    });
    group.finish();
}

fn durable_append(c: &mut Criterion) {
    let runtime = Runtime::new().expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn DocStore> =
        Arc::new(SqliteStore::open(&dir.path().join("bench.db")).expect("sqlite store"));
    let mut author = Author::new(5, 5);
    let mut group = c.benchmark_group("durable append (SQLite, synchronous=FULL)");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one update per commit", |b| {
        b.iter_batched(
            || Bytes::from(author.next_update()),
            |update| {
                runtime
                    .block_on(store.append("bench-doc", update))
                    .expect("append")
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("100 updates per commit", |b| {
        b.iter_batched(
            || {
                (0..100)
                    .map(|_| ("bench-doc", Bytes::from(author.next_update())))
                    .collect::<Vec<_>>()
            },
            |batch| {
                runtime
                    .block_on(store.append_batch(&batch))
                    .expect("append")
                    .len()
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group! {
    name = relay_core;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = frames, fan_out, awareness_merge, durable_append
}
criterion_main!(relay_core);
