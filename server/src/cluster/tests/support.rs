//! What the cluster tests share: the Redis URL, unique names, a fast reader, collecting
//! events until a deadline.

use std::time::Duration;

use tokio::time::Instant;

use crate::cluster::{
    publish, EntryKind, NodeId, ReaderEvent, ReaderOptions, RedisLink, Retention, StreamEntry,
    StreamId, StreamReader, REQUEST_TIMEOUT,
};

/// The variable `cargo xtask test` sets.
const URL_VARIABLE: &str = "YCORD_TEST_REDIS_URL";

/// How long a test waits for something that should happen at once.
pub(super) const PATIENCE: Duration = Duration::from_secs(10);

/// The server's URL; a missing variable fails the test.
pub(super) fn redis_url() -> String {
    std::env::var(URL_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{URL_VARIABLE} is not set, and the cluster tests need a real Redis 7 server. \
             Run `cargo xtask test` (it starts one), or `cargo xtask with-services cargo test \
             -p ycord-server --lib cluster::`, or start redis-server yourself and set \
             {URL_VARIABLE}=redis://127.0.0.1:6379"
        )
    })
}

/// A link for the test's own commands.
pub(super) fn link() -> RedisLink {
    RedisLink::open(&redis_url(), "ycord-cluster-test", REQUEST_TIMEOUT).unwrap()
}

/// A room name no other test (or earlier run) uses.
pub(super) fn unique_room(label: &str) -> String {
    format!("test/{label}/{}", NodeId::generate())
}

/// A reader that blocks briefly, so tests turn around fast.
pub(super) fn reader(node: NodeId, batch: usize) -> StreamReader {
    StreamReader::new(
        &redis_url(),
        node,
        ReaderOptions {
            block: Duration::from_millis(200),
            batch,
            ..ReaderOptions::default()
        },
    )
    .unwrap()
}

/// An update entry of `node` whose payload is `[n]`.
pub(super) fn update(node: NodeId, n: u8) -> StreamEntry {
    StreamEntry {
        node,
        kind: EntryKind::Update,
        payload: vec![n],
    }
}

/// Publishes updates `[first]..[first + count)` of `node` on `room`; returns their ids.
pub(super) async fn publish_updates(
    link: &mut RedisLink,
    room: &str,
    node: NodeId,
    numbers: std::ops::Range<u8>,
    retention: Retention,
) -> Vec<StreamId> {
    let mut ids = Vec::new();
    for n in numbers {
        ids.push(
            publish(link, room, &update(node, n), retention)
                .await
                .unwrap(),
        );
    }
    ids
}

/// Reads until `enough` says the events so far suffice; fails the test after [`PATIENCE`].
/// Read errors are returned in place (as `Err`) so a test can see them.
pub(super) async fn read_until(
    reader: &mut StreamReader,
    mut enough: impl FnMut(&[ReaderEvent]) -> bool,
) -> Vec<ReaderEvent> {
    let deadline = Instant::now() + PATIENCE;
    let mut events = Vec::new();
    while !enough(&events) {
        assert!(
            Instant::now() < deadline,
            "gave up waiting; events so far: {events:?}"
        );
        match reader.next_events().await {
            Ok(more) => events.extend(more),
            Err(err) => panic!("the reader failed: {err}"),
        }
    }
    events
}

/// The payload bytes of the entries among `events`, in order.
pub(super) fn payloads(events: &[ReaderEvent]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|event| match event {
            ReaderEvent::Entry { entry, .. } => Some(entry.payload[0]),
            _ => None,
        })
        .collect()
}

/// `XLEN`, `PTTL` of `room`'s stream.
pub(super) async fn length_and_ttl(link: &mut RedisLink, room: &str) -> (usize, i64) {
    let key = crate::cluster::keys::room_stream_key(room);
    let length = link.query(redis::cmd("XLEN").arg(&key)).await.unwrap();
    let ttl = link.query(redis::cmd("PTTL").arg(&key)).await.unwrap();
    (length, ttl)
}

/// Polls `condition` every 20 ms until it holds; fails the test after `limit`.
pub(super) async fn eventually<F, Fut>(limit: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !condition().await {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
