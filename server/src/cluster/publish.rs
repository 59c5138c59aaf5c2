//! Publishing an entry on a room's stream, bounded in length and in time.

use std::time::Duration;

use super::entry::StreamEntry;
use super::error::ClusterError;
use super::keys::room_stream_key;
use super::link::RedisLink;
use super::reply::ReplyError;
use super::stream_id::StreamId;

/// How much of a room's stream Redis keeps. Redis is transport, not storage: PostgreSQL has
/// every update, the stream only bridges the time between a node storing an update and the
/// other nodes reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retention {
    /// `XADD … MAXLEN ~ max_len`: Redis trims only whole macro nodes of its radix tree (at
    /// most `stream-node-max-entries` = 100 entries or `stream-node-max-bytes` = 4 KiB by
    /// default), so a stream holds at least `max_len` entries and at most one node more
    /// (250 small entries with `max_len` 10 left 23 or 24, with 50 left 98 or 99).
    pub(crate) max_len: usize,
    /// Every publish sets the key to expire after this long, so an idle room's stream goes.
    pub(crate) key_ttl: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_len: 10_000,
            key_ttl: Duration::from_secs(60 * 60),
        }
    }
}

/// Appends `entry` to `room`'s stream (`XADD key MAXLEN ~ n * …`) and renews the key's
/// expiry (`PEXPIRE`), atomically (`MULTI`/`EXEC`). Returns the entry's id.
///
/// # Errors
/// Redis unreachable or failing; the entry may or may not have been added.
#[cfg(test)]
pub(crate) async fn publish(
    link: &mut RedisLink,
    room: &str,
    entry: &StreamEntry,
    retention: Retention,
) -> Result<StreamId, ClusterError> {
    let mut pipeline = redis::pipe();
    pipeline.atomic();
    add_entry(&mut pipeline, room, entry, retention);
    let (id,): (String,) = link.query_pipeline(&pipeline).await?;
    parse_id(&id)
}

/// Appends several entries, in order, in one round trip (one pipeline, not a transaction: an
/// entry and its key's expiry are still sent together). Returns their ids.
///
/// # Errors
/// Redis unreachable or failing; any prefix of the entries may have been added.
pub(crate) async fn publish_batch(
    link: &mut RedisLink,
    entries: &[(&str, &StreamEntry)],
    retention: Retention,
) -> Result<Vec<StreamId>, ClusterError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipeline = redis::pipe();
    for (room, entry) in entries {
        add_entry(&mut pipeline, room, entry, retention);
    }
    let ids: Vec<String> = link.query_pipeline(&pipeline).await?;
    ids.iter().map(|id| parse_id(id)).collect()
}

fn add_entry(
    pipeline: &mut redis::Pipeline,
    room: &str,
    entry: &StreamEntry,
    retention: Retention,
) {
    let key = room_stream_key(room);
    let xadd = pipeline
        .cmd("XADD")
        .arg(&key)
        .arg("MAXLEN")
        .arg("~")
        .arg(retention.max_len)
        .arg("*");
    for (name, value) in entry.fields() {
        xadd.arg(name).arg(value);
    }
    let ttl_millis = u64::try_from(retention.key_ttl.as_millis()).unwrap_or(u64::MAX);
    pipeline.cmd("PEXPIRE").arg(&key).arg(ttl_millis).ignore();
}

fn parse_id(id: &str) -> Result<StreamId, ClusterError> {
    id.parse()
        .map_err(|err| ClusterError::Reply(ReplyError(format!("XADD returned {err}"))))
}
