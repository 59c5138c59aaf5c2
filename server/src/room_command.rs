//! What the rest of the server asks of a room's task, and how the room reaches a connection.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use ycord_persistence::StoreError;

use crate::close::CloseReason;
use crate::cluster::NodeId;
use crate::conn_id::ConnId;
use crate::room::Dialect;

/// A message for a room task.
pub(crate) enum RoomCommand {
    /// A connection joins; the room greets it through `peer`, as `dialect` expects.
    Join {
        conn: ConnId,
        peer: Peer,
        dialect: Dialect,
    },
    /// A binary frame from a connection.
    Frame { conn: ConnId, frame: Bytes },
    /// A connection ended.
    Leave { conn: ConnId },
    /// The whole document as a v1 update (HTTP API).
    Encode { reply: oneshot::Sender<Vec<u8>> },
    /// The root types as JSON (HTTP API).
    ToJson {
        reply: oneshot::Sender<serde_json::Value>,
    },
    /// Apply a v1 update (HTTP API); answered once it is stored and relayed.
    Apply {
        update: Bytes,
        reply: oneshot::Sender<Result<(), ApplyError>>,
    },
    /// Close every connection and delete the stored document (HTTP API).
    Delete {
        reply: oneshot::Sender<Result<(), Arc<StoreError>>>,
    },
    /// What another node of the cluster published for this room.
    Remote(Remote),
}

/// What another node of the cluster tells a room.
pub(crate) enum Remote {
    /// An update that node stored.
    Update(Bytes),
    /// An awareness frame of that node's clients.
    Awareness { node: NodeId, frame: Bytes },
    /// The room was deleted there: close this node's connections too.
    Deleted,
    /// Entries may have been missed (the label says why): reload from the store and merge.
    Reload(&'static str),
    /// A node stopped beating: its clients' awareness states go.
    NodeGone(NodeId),
}

/// Why an update posted through the HTTP API was not applied.
#[derive(Debug, Clone)]
pub(crate) enum ApplyError {
    /// The bytes are not a valid v1 update.
    Invalid(String),
    /// The update would make the document larger than its limit; nothing was applied.
    TooLarge(String),
    /// The store refused it; nothing was applied durably.
    Store(Arc<StoreError>),
}

/// The room's side of a connection: its outgoing queue and the signal that closes it.
pub(crate) struct Peer {
    pub(crate) outbox: mpsc::Sender<Bytes>,
    pub(crate) close: oneshot::Sender<CloseReason>,
}
