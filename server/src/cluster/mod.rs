//! Building blocks of the cluster mode: several ycord nodes serving the same
//! rooms, with Redis streams carrying updates, awareness and room deletions between them.
//! Not wired into the server yet, and no command-line flag exposes it.
//!
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
mod heartbeat;
pub(crate) mod keys;
mod link;
mod node_id;
pub(crate) mod position;
mod publish;
mod reader;
mod reply;
pub(crate) mod retained;
mod stream_id;

pub(crate) use entry::{EntryError, EntryKind, StreamEntry};
pub(crate) use heartbeat::{beat, is_alive};
pub(crate) use link::{RedisLink, REQUEST_TIMEOUT};
pub(crate) use node_id::NodeId;
pub(crate) use position::LostReason;
pub(crate) use publish::{publish, Retention};
pub(crate) use reader::{ReaderEvent, ReaderOptions, StreamReader};
pub(crate) use retained::read_retained;
pub(crate) use stream_id::StreamId;

#[cfg(test)]
mod tests;
