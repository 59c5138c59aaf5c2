//! Cluster mode: several ycord nodes serving the same rooms, PostgreSQL holding every
//! update and Redis streams carrying updates, awareness and room deletions between them.
//!
//! - [`ClusterNode`]: this process as a node (its [`NodeId`], whether Redis answers) and its
//!   three background tasks: the publisher (entries in order, batched, queued within bounds
//!   while Redis is away), the follower (one blocking `XREAD` over the streams of the rooms
//!   loaded here, each entry handed to its room) and liveness (this node's heartbeat key,
//!   and the removal of dead nodes' clients' awareness states).
//! - [`keys`]: one stream per room (`ycord:room:<escaped path>`), one heartbeat key per node.
//! - [`StreamEntry`]: what an entry carries (node id, [`EntryKind`], payload), strictly
//!   decoded: an entry in Redis is as untrusted as a frame from a socket.
//! - [`publish`]: `XADD … MAXLEN ~ n` and a key expiry per [`Retention`], so Redis holds a
//!   bounded amount per room and nothing for idle rooms.
//! - [`read_retained`] and [`StreamReader`]: loading reads what a stream retains and
//!   remembers the last id; the reader then follows many rooms with one blocking `XREAD`,
//!   skips the node's own entries, resumes from its last ids after a reconnect, and reports
//!   a position that fell out of the retained stream (trimmed, expired, Redis restarted) so
//!   the room reloads from the store ([`position::check_position`] decides, without IO).
//! - [`beat`] / [`is_alive`]: a node's heartbeat key with a short expiry.
//!
//! Every request goes over a [`RedisLink`], which drops a broken connection and reconnects
//! on the next request; the caller paces retries. Failures are [`error::ClusterError`].

mod entry;
pub(crate) mod error;
mod follower;
mod heartbeat;
pub(crate) mod keys;
mod link;
mod liveness;
mod node;
mod node_id;
pub(crate) mod position;
mod publish;
mod publish_queue;
mod publisher;
mod reader;
mod reply;
pub(crate) mod retained;
mod retry;
mod stream_id;

pub(crate) use entry::{EntryKind, StreamEntry};
pub(crate) use node::{ClusterNode, ClusterSettings};
pub(crate) use node_id::NodeId;
pub(crate) use publish::Retention;
pub(crate) use stream_id::StreamId;

// The tests against a real Redis drive the pieces directly.
#[cfg(test)]
pub(crate) use {
    entry::EntryError,
    heartbeat::{beat, is_alive},
    link::{RedisLink, REQUEST_TIMEOUT},
    position::LostReason,
    publish::publish,
    reader::{ReaderEvent, ReaderOptions, StreamReader},
    retained::read_retained,
};

#[cfg(test)]
mod tests;
