//! The task that follows the streams of the rooms loaded on this node and hands each room
//! what the other nodes published.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::entry::EntryKind;
use super::node::ClusterNode;
use super::position::LostReason;
use super::reader::{ReaderEvent, StreamReader};
use super::retry::Retry;
use super::stream_id::StreamId;
use crate::room_command::{Remote, RoomCommand};
use crate::rooms::Rooms;

/// Starting and stopping to follow a room, per generation of its task: a room that unloads
/// and loads again quickly must not be stopped by its old task's late goodbye.
pub(crate) enum Follow {
    /// The room's task of `generation` loaded it up to `position`.
    Start {
        room: Arc<str>,
        generation: u64,
        position: StreamId,
    },
    /// The room's task of `generation` ended.
    Stop { room: Arc<str>, generation: u64 },
}

pub(super) async fn run(
    node: Arc<ClusterNode>,
    mut reader: StreamReader,
    mut follows: mpsc::UnboundedReceiver<Follow>,
    rooms: Arc<Rooms>,
) {
    let mut generations: HashMap<Arc<str>, u64> = HashMap::new();
    let mut retry = Retry::default();
    loop {
        // A new room is not in the blocking read under way: the read is dropped (the reader
        // is cancel-safe) and the next one includes the room.
        let events = tokio::select! {
            biased;
            follow = follows.recv() => {
                let Some(follow) = follow else { return };
                apply(&mut reader, &mut generations, follow);
                while let Ok(follow) = follows.try_recv() {
                    apply(&mut reader, &mut generations, follow);
                }
                continue;
            }
            events = reader.next_events() => events,
        };
        node.record_redis(&events);
        match events {
            Ok(events) => {
                retry.succeeded();
                for event in events {
                    route(&node, &rooms, event).await;
                }
            }
            Err(_) => {
                retry.failed().await;
            }
        }
    }
}

fn apply(reader: &mut StreamReader, generations: &mut HashMap<Arc<str>, u64>, follow: Follow) {
    match follow {
        Follow::Start {
            room,
            generation,
            position,
        } => {
            reader.follow(&room, position);
            generations.insert(room, generation);
        }
        Follow::Stop { room, generation } => {
            if generations.get(&room) == Some(&generation) {
                reader.unfollow(&room);
                generations.remove(&room);
            }
        }
    }
}

async fn route(node: &ClusterNode, rooms: &Rooms, event: ReaderEvent) {
    let (room, remote) = match event {
        ReaderEvent::Entry { room, entry, .. } => {
            node.metrics().record_cluster_received(entry.kind);
            let payload = bytes::Bytes::from(entry.payload);
            let remote = match entry.kind {
                EntryKind::Update => Remote::Update(payload),
                EntryKind::Awareness => {
                    node.watch_peer(entry.node);
                    Remote::Awareness {
                        node: entry.node,
                        frame: payload,
                    }
                }
                EntryKind::RoomDeleted => Remote::Deleted,
                EntryKind::Reload => Remote::Reload("reload-entry"),
            };
            (room, remote)
        }
        ReaderEvent::Garbled { room, id, error } => {
            tracing::warn!(room = %room, id = %id, error = %error, "skipped a garbled stream entry");
            node.metrics().record_cluster_garbled();
            return;
        }
        ReaderEvent::PositionLost { room, lost } => {
            let reason = lost_label(lost.reason);
            tracing::warn!(room = %room, reason, "stream position lost: reloading the room from the store");
            (room, Remote::Reload(reason))
        }
    };
    if let Some(handle) = rooms.get_existing(&room) {
        let _ = handle.commands.send(RoomCommand::Remote(remote)).await;
    }
}

/// The `reason` label of a resync.
fn lost_label(reason: LostReason) -> &'static str {
    match reason {
        LostReason::Trimmed => "trimmed",
        LostReason::StreamMissing => "stream-missing",
        LostReason::StreamRecreated => "stream-recreated",
        LostReason::ServerRestarted => "redis-restarted",
    }
}
