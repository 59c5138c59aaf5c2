//! The task that owns one [`Room`]: it serialises the room's commands and moves its effects
//! onto each connection's bounded queue without ever waiting on a socket.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use yrs::sync::time::SystemClock;
use yrs::sync::Clock;

use crate::close::CloseReason;
use crate::room::{ConnId, Effect, Room};
use crate::rooms::Rooms;

/// A message for a room task.
pub(crate) enum RoomCommand {
    /// A connection joins; the room greets it through `peer`.
    Join { conn: ConnId, peer: Peer },
    /// A binary frame from a connection.
    Frame { conn: ConnId, frame: Bytes },
    /// A connection ended.
    Leave { conn: ConnId },
}

/// The room's side of a connection: its outgoing queue and the signal that closes it.
pub(crate) struct Peer {
    pub(crate) outbox: mpsc::Sender<Bytes>,
    pub(crate) close: oneshot::Sender<CloseReason>,
}

/// How often stale awareness states are looked for.
const EXPIRY_CHECK: Duration = Duration::from_secs(1);

/// Runs a room until it has been idle for `grace` and the registry has unloaded it.
pub(crate) async fn run(
    name: String,
    generation: u64,
    mut room: Room,
    mut inbox: mpsc::Receiver<RoomCommand>,
    rooms: Arc<Rooms>,
    grace: Duration,
) {
    let mut peers: HashMap<ConnId, Peer> = HashMap::new();
    let mut idle_since = Some(Instant::now());
    // Expiry is checked on a fixed beat rather than per message: scanning every state after
    // each frame would put O(states) work on the hot path for a 1 s precision nobody needs.
    let mut expiry_check = tokio::time::interval(EXPIRY_CHECK);
    expiry_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let effects = tokio::select! {
            command = inbox.recv() => match command {
                Some(RoomCommand::Join { conn, peer }) => {
                    peers.insert(conn, peer);
                    idle_since = None;
                    room.join(conn)
                }
                Some(RoomCommand::Frame { conn, frame }) => {
                    if peers.contains_key(&conn) { room.receive(conn, frame) } else { Vec::new() }
                }
                Some(RoomCommand::Leave { conn }) => {
                    peers.remove(&conn);
                    room.leave(conn)
                }
                None => break,
            },
            _ = expiry_check.tick() => room.tick(SystemClock.now()),
            () = sleep_until(idle_since.map(|since| since + grace)) => {
                if rooms.try_unload(&name, generation, &mut inbox, &room) {
                    tracing::debug!(room = %name, "room unloaded");
                    break;
                }
                idle_since = Some(Instant::now());
                Vec::new()
            }
        };
        dispatch(&name, &mut room, &mut peers, effects);
        if peers.is_empty() && idle_since.is_none() {
            idle_since = Some(Instant::now());
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Moves effects to connection queues. A full queue closes that connection as a slow
/// consumer, which may produce more effects (its awareness removal); they are handled here too.
fn dispatch(
    name: &str,
    room: &mut Room,
    peers: &mut HashMap<ConnId, Peer>,
    mut effects: Vec<Effect>,
) {
    while !effects.is_empty() {
        let mut evicted: Vec<(ConnId, CloseReason)> = Vec::new();
        for effect in effects.drain(..) {
            match effect {
                Effect::Send(conn, frame) => {
                    if let Some(peer) = peers.get(&conn) {
                        if let Some(reason) = enqueue(peer, frame) {
                            evicted.push((conn, reason));
                        }
                    }
                }
                Effect::Broadcast(frame) => {
                    for (&conn, peer) in peers.iter() {
                        if let Some(reason) = enqueue(peer, frame.clone()) {
                            evicted.push((conn, reason));
                        }
                    }
                }
                Effect::Close(conn, reason) => close(name, peers, conn, reason),
            }
        }
        for (conn, reason) in evicted {
            if peers.contains_key(&conn) {
                close(name, peers, conn, reason);
                effects.extend(room.leave(conn));
            }
        }
    }
}

fn enqueue(peer: &Peer, frame: Bytes) -> Option<CloseReason> {
    match peer.outbox.try_send(frame) {
        Ok(()) => None,
        Err(mpsc::error::TrySendError::Full(_)) => Some(CloseReason::SlowConsumer),
        // The connection task is already gone; its Leave is on the way.
        Err(mpsc::error::TrySendError::Closed(_)) => None,
    }
}

fn close(name: &str, peers: &mut HashMap<ConnId, Peer>, conn: ConnId, reason: CloseReason) {
    if let Some(peer) = peers.remove(&conn) {
        reason.log(name, conn);
        let _ = peer.close.send(reason);
    }
}

/// A clock for room awareness timestamps: milliseconds since the Unix epoch.
pub(crate) fn room_clock() -> impl Clock + 'static {
    SystemClock
}
