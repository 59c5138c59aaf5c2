//! One Hocuspocus WebSocket: frames from the socket go through the [`Session`] to the rooms of
//! its documents, each room's frames come back with their document's address, and every way the
//! socket can end is turned into a close code (as for a y-websocket connection).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, SelectAll};
use futures_util::{SinkExt, Stream, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use ycord_protocol::hocuspocus::encode;

use super::session::{Action, Session};
use super::stateless::StatelessHub;
use crate::close::CloseReason;
use crate::conn_id::ConnId;
use crate::connection::ConnectionLimits;
use crate::gate::Gate;
use crate::limits::{ConnectionCounter, RoomSeat};
use crate::refusal::Refusal;
use crate::room_command::{Peer, RoomCommand};
use crate::rooms::{self, RoomHandle, Rooms};
use crate::roster::ConnectionInfo;
use crate::socket_io::{feed, read_error, timed_send, token_expiry, within_write_timeout};
use crate::upgrade::Socket;

/// How often the server sends a Hocuspocus ping (a lone byte 9). A provider reconnects after
/// 30 s without receiving a message, and WebSocket pings are not messages to it; a quiet
/// document whose provider has no awareness state would otherwise be dropped.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Names document connections; shared with y-websocket connections' ids through the
/// room, so it starts far from theirs.
static NEXT_CONN: AtomicU64 = AtomicU64::new(1 << 48);

/// What the rooms say to one document connection.
enum RoomEvent {
    Frame(Bytes),
    Closed(CloseReason),
}

type RoomEvents = Pin<Box<dyn Stream<Item = (ConnId, RoomEvent)> + Send>>;

/// A document connection's room and its place in the room's connection list.
struct Joined {
    room: String,
    handle: RoomHandle,
    _listed: rooms::ConnectionGuard,
    /// The document's place in its room's connection limit.
    _seat: Option<RoomSeat>,
}

/// Places in rooms' connection limits taken while authorizing documents, until their joins
/// claim them (the session authorizes and then asks to join, in one step).
type Seats = Mutex<Vec<(String, RoomSeat)>>;

/// What the socket shares with the rest of the server.
pub(crate) struct SocketContext {
    pub(crate) rooms: Arc<Rooms>,
    pub(crate) gate: Gate,
    pub(crate) hub: Arc<StatelessHub>,
    pub(crate) limits: ConnectionLimits,
    /// The server's connection counts: each document takes a place in its room's limit.
    pub(crate) connections: ConnectionCounter,
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// Serves one upgraded Hocuspocus socket until either side ends it. `upgrade_token` is a
/// token the upgrade request carried, used for documents whose auth message has none.
pub(crate) async fn serve(mut socket: Socket, upgrade_token: Option<String>, ctx: SocketContext) {
    let SocketContext {
        rooms,
        gate,
        hub,
        limits,
        connections,
        mut shutdown,
    } = ctx;
    let mut session = Session::new(upgrade_token, gate.relay_read_only_awareness, || {
        NEXT_CONN.fetch_add(1, Ordering::Relaxed)
    });
    let seats = Seats::default();
    let authorize = |room: &str, token: &str| {
        let admitted = gate.admit_token(room, token)?;
        let seat = connections.try_seat(room).map_err(|full| {
            let refusal = Refusal::new(full.status(), full.label(), full.to_string());
            gate.refuse("websocket", room, refusal)
        })?;
        seats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((room.to_owned(), seat));
        Ok(admitted)
    };
    let mut joined: HashMap<ConnId, Joined> = HashMap::new();
    let mut events: SelectAll<RoomEvents> = SelectAll::new();
    let mut rate = limits.rate.clone();
    let mut ping = tokio::time::interval_at(
        tokio::time::Instant::now() + limits.ping_interval,
        limits.ping_interval,
    );
    let mut keep_alive =
        tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    let mut is_awaiting_pong = false;
    let reason: Option<CloseReason> = loop {
        let expiry = token_expiry(session.next_expiry());
        tokio::select! {
            _ = shutdown.changed() => break Some(CloseReason::ServerShutdown),
            () = expiry => break Some(CloseReason::TokenExpired),
            Some((conn, event)) = events.next(), if !events.is_empty() => match event {
                RoomEvent::Frame(frame) => {
                    if let Some(frame) = session.addressed(conn, &frame) {
                        if let Err(reason) = write(&mut socket, frame, &limits).await {
                            break reason;
                        }
                    }
                }
                // The room logged and counted its reason.
                RoomEvent::Closed(reason) => match session.closed_by_room(conn, reason) {
                    Ok(actions) => {
                        let context = Perform { rooms: &rooms, hub: &hub, limits: &limits, seats: &seats };
                        if let Err(reason) =
                            perform(actions, &context, &mut socket, &mut joined, &mut events).await
                        {
                            break reason;
                        }
                    }
                    Err(reason) => {
                        joined.remove(&conn);
                        break Some(reason);
                    }
                },
            },
            incoming = socket.next() => {
                if let Some(Ok(message)) = &incoming {
                    if let Err(exceeded) = rate.admit(std::time::Instant::now(), message.len()) {
                        break Some(CloseReason::RateLimited(exceeded.to_string()));
                    }
                }
                let frame = match incoming {
                    None => break None,
                    Some(Err(err)) => break read_error(&err, &limits),
                    Some(Ok(Message::Binary(frame))) => frame,
                    Some(Ok(Message::Text(_))) => {
                        break Some(CloseReason::UnsupportedData(
                            "text frames are not supported: send binary Hocuspocus messages".into(),
                        ));
                    }
                    Some(Ok(Message::Pong(_))) => {
                        is_awaiting_pong = false;
                        continue;
                    }
                    Some(Ok(Message::Close(_))) => break None,
                    Some(Ok(Message::Ping(_) | Message::Frame(_))) => continue,
                };
                let actions = match session.receive(frame, &authorize) {
                    Ok(actions) => actions,
                    Err(reason) => break Some(reason),
                };
                let context = Perform { rooms: &rooms, hub: &hub, limits: &limits, seats: &seats };
                if let Err(reason) =
                    perform(actions, &context, &mut socket, &mut joined, &mut events).await
                {
                    break reason;
                }
            }
            _ = ping.tick() => {
                if is_awaiting_pong {
                    break Some(CloseReason::PingTimeout);
                }
                is_awaiting_pong = true;
                if timed_send(&mut socket, Message::Ping(Bytes::new()), &limits).await.is_err() {
                    break None;
                }
            }
            _ = keep_alive.tick() => {
                if write(&mut socket, encode::ping().into(), &limits).await.is_err() {
                    break None;
                }
            }
        }
    };

    for action in session.leave_all() {
        if let Action::Leave { conn } = action {
            leave(conn, &hub, &mut joined).await;
        }
    }
    if let Some(reason) = &reason {
        if !matches!(reason, CloseReason::ServerShutdown) {
            reason.log(super::PATH, 0);
        }
        let close = Message::Close(Some(CloseFrame {
            code: CloseCode::from(reason.code()),
            reason: reason.text().into(),
        }));
        let _ = timed_send(&mut socket, close, &limits).await;
    }
    let _ = tokio::time::timeout(limits.write_timeout, SinkExt::close(&mut socket)).await;
}

/// What [`perform`] needs of the server.
struct Perform<'a> {
    rooms: &'a Arc<Rooms>,
    hub: &'a StatelessHub,
    limits: &'a ConnectionLimits,
    seats: &'a Seats,
}

/// Carries out the session's actions in order.
async fn perform(
    actions: Vec<Action>,
    ctx: &Perform<'_>,
    socket: &mut Socket,
    joined: &mut HashMap<ConnId, Joined>,
    events: &mut SelectAll<RoomEvents>,
) -> Result<(), Option<CloseReason>> {
    for action in actions {
        match action {
            Action::Send(frame) => write(socket, frame, ctx.limits).await?,
            Action::Join {
                conn,
                room,
                dialect,
                admitted,
            } => {
                let (outbox, frames) = mpsc::channel::<Bytes>(ctx.limits.send_queue);
                let (close, closed) = oneshot::channel::<CloseReason>();
                ctx.hub.register(&room, conn, outbox.clone());
                let listed = ctx.rooms.track_connection(
                    &room,
                    ConnectionInfo::new(conn, admitted.sub.clone(), admitted.access),
                );
                let mut join = RoomCommand::Join {
                    conn,
                    peer: Peer { outbox, close },
                    dialect,
                };
                // A send can only fail if the room task is unloading; retry on its next task.
                let handle = loop {
                    let handle = ctx.rooms.handle(&room);
                    match handle.commands.send(join).await {
                        Ok(()) => break handle,
                        Err(mpsc::error::SendError(command)) => join = command,
                    }
                };
                tracing::debug!(room = %room, conn, access = admitted.access.as_str(), "hocuspocus document joined");
                events.push(room_events(conn, frames, closed));
                let seat = {
                    let mut seats = ctx.seats.lock().unwrap_or_else(PoisonError::into_inner);
                    let taken = seats.iter().position(|(seated, _)| *seated == room);
                    taken.map(|index| seats.swap_remove(index).1)
                };
                joined.insert(
                    conn,
                    Joined {
                        room,
                        handle,
                        _listed: listed,
                        _seat: seat,
                    },
                );
            }
            Action::Forward { conn, frame } => {
                if let Some(document) = joined.get(&conn) {
                    let command = RoomCommand::Frame { conn, frame };
                    if document.handle.commands.send(command).await.is_err() {
                        return Err(None);
                    }
                }
            }
            Action::Leave { conn } => leave(conn, ctx.hub, joined).await,
            Action::Stateless { conn, frame } => {
                if let Some(document) = joined.get(&conn) {
                    ctx.hub.relay(&document.room, conn, &frame);
                }
            }
        }
    }
    Ok(())
}

/// Document connection `conn` leaves its room; idempotent, as the room's Leave is.
async fn leave(conn: ConnId, hub: &StatelessHub, joined: &mut HashMap<ConnId, Joined>) {
    if let Some(document) = joined.remove(&conn) {
        hub.unregister(&document.room, conn);
        let _ = document
            .handle
            .commands
            .send(RoomCommand::Leave { conn })
            .await;
    }
}

/// The room's frames for `conn`, then its close reason if it closes `conn`. The frame stream
/// ends once the room and the hub have both let go of the queue.
fn room_events(
    conn: ConnId,
    frames: mpsc::Receiver<Bytes>,
    closed: oneshot::Receiver<CloseReason>,
) -> RoomEvents {
    let frames = stream::unfold(frames, move |mut frames| async move {
        let frame = frames.recv().await?;
        Some(((conn, RoomEvent::Frame(frame)), frames))
    });
    // A close signal dropped unsent is a Leave the adapter asked for: nothing to report.
    let closed = stream::once(closed)
        .filter_map(move |reason| async move { reason.ok().map(|r| (conn, RoomEvent::Closed(r))) });
    Box::pin(stream::select(frames, closed))
}

/// Writes one message (fragmented when large, see [`crate::fragment`]) and flushes.
async fn write(
    socket: &mut Socket,
    message: Bytes,
    limits: &ConnectionLimits,
) -> Result<(), Option<CloseReason>> {
    let write = async {
        feed(socket, message).await?;
        socket.flush().await
    };
    within_write_timeout(write, limits).await
}
