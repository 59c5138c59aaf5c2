//! A room's part in a cluster: what loading takes from the room's stream, what the room
//! publishes for the other nodes, and following the stream while the room is loaded.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use ycord_protocol::MessageType;

use crate::cluster::{ClusterNode, EntryKind, NodeId, StreamEntry, StreamId};
use crate::room::{Effect, Room};

/// One loaded room's link to its cluster; stops following the room's stream when dropped.
pub(crate) struct ClusterRoom {
    node: Arc<ClusterNode>,
    name: Arc<str>,
    generation: u64,
    is_following: bool,
}

/// What a room's stream held when the room was loaded.
pub(crate) struct Retained {
    /// Other nodes' entries since the room's last deletion, oldest first.
    entries: Vec<StreamEntry>,
    /// Where following starts.
    position: StreamId,
}

impl ClusterRoom {
    /// The link of the room task `generation` of `name`.
    pub(crate) fn new(node: Arc<ClusterNode>, name: Arc<str>, generation: u64) -> Self {
        ClusterRoom {
            node,
            name,
            generation,
            is_following: false,
        }
    }

    /// Reads what the room's stream retains. Read before the store, so that whatever is
    /// published while the store loads comes after the position and is followed. Without
    /// Redis the room loads from the store alone and follows from the start of the stream
    /// once Redis is back (entries apply twice harmlessly).
    pub(crate) async fn read(&self) -> Retained {
        let retained = match self.node.read_retained(&self.name).await {
            Ok(retained) => retained,
            Err(err) => {
                tracing::warn!(room = %self.name, error = %err, "could not read the room's stream: loading from the store alone");
                return Retained {
                    entries: Vec::new(),
                    position: StreamId::ZERO,
                };
            }
        };
        let mut entries = Vec::new();
        for (id, entry) in retained.entries {
            match entry {
                // The store no longer has what came before a deletion.
                Ok(entry) if entry.kind == EntryKind::RoomDeleted => entries.clear(),
                Ok(entry) if entry.node == self.node.id() => {}
                Ok(entry) => entries.push(entry),
                Err(error) => {
                    tracing::warn!(room = %self.name, id = %id, error = %error, "skipped a garbled stream entry");
                }
            }
        }
        Retained {
            entries,
            position: retained.position,
        }
    }

    /// Applies what the stream retained to the freshly loaded room: updates (the store may
    /// not have them yet when their node's commit is still on its way) and the awareness
    /// states of nodes that are alive. Then follows the stream from where it was read.
    pub(crate) async fn catch_up(&mut self, room: &mut Room, retained: Retained) {
        let mut alive: HashMap<NodeId, bool> = HashMap::new();
        for entry in retained.entries {
            let payload = Bytes::from(entry.payload);
            match entry.kind {
                EntryKind::Update => {
                    if let Err(rejected) = room.apply_remote(payload) {
                        tracing::warn!(room = %self.name, node = %entry.node, reason = %rejected.reason.text(), "refused an update from the stream");
                    }
                }
                EntryKind::Awareness => {
                    let is_alive = match alive.get(&entry.node) {
                        Some(is_alive) => *is_alive,
                        None => {
                            let is_alive = self.node.is_alive(entry.node).await;
                            alive.insert(entry.node, is_alive);
                            is_alive
                        }
                    };
                    if is_alive {
                        self.node.watch_peer(entry.node);
                        let _ = room.apply_remote_awareness(entry.node.owner(), &payload);
                    }
                }
                EntryKind::RoomDeleted | EntryKind::Reload => {}
            }
        }
        self.node
            .follow(&self.name, self.generation, retained.position);
        self.is_following = true;
    }

    /// Publishes an update this node stored.
    pub(crate) fn publish_update(&self, update: Bytes) {
        self.node.publish(&self.name, EntryKind::Update, update);
    }

    /// Publishes the awareness frames among effects of this node's connections.
    pub(crate) fn publish_awareness(&self, effects: &[Effect]) {
        for effect in effects {
            if let Effect::Broadcast(frame) = effect {
                if frame.first() == Some(&(MessageType::Awareness as u8)) {
                    self.node
                        .publish(&self.name, EntryKind::Awareness, frame.clone());
                }
            }
        }
    }

    /// Publishes the room's deletion.
    pub(crate) fn publish_deleted(&self) {
        self.node
            .publish(&self.name, EntryKind::RoomDeleted, Bytes::new());
    }
}

impl Drop for ClusterRoom {
    fn drop(&mut self) {
        if self.is_following {
            self.node.unfollow(&self.name, self.generation);
        }
    }
}
