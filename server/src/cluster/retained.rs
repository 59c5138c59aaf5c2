//! Reading what a room's stream retains, the stream half of loading a room on a node.

use super::entry::{EntryError, StreamEntry};
use super::error::ClusterError;
use super::keys::room_stream_key;
use super::link::RedisLink;
use super::reply;
use super::stream_id::StreamId;

/// A room's retained stream at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RetainedStream {
    /// Every retained entry, oldest first, own entries included; a garbled entry is an
    /// error in its place (skip it, never let it block the room).
    pub(crate) entries: Vec<(StreamId, Result<StreamEntry, EntryError>)>,
    /// Where to follow the stream from: the last entry read, `0-0` for an empty stream.
    pub(crate) position: StreamId,
}

/// `XRANGE key - +`: the whole retained stream of `room` (at most its retention's length);
/// an entry whose payload is over `max_payload` bytes is garbled.
///
/// # Errors
/// Redis unreachable or failing, or a reply that does not parse.
pub(crate) async fn read_retained(
    link: &mut RedisLink,
    room: &str,
    max_payload: usize,
) -> Result<RetainedStream, ClusterError> {
    let reply = link
        .query(
            redis::cmd("XRANGE")
                .arg(room_stream_key(room))
                .arg("-")
                .arg("+"),
        )
        .await?;
    let raw = reply::entries(reply)?;
    let position = raw.last().map_or(StreamId::ZERO, |entry| entry.id);
    let entries = raw
        .into_iter()
        .map(|entry| (entry.id, entry.decode(max_payload)))
        .collect();
    Ok(RetainedStream { entries, position })
}
