//! One WebSocket connection: frames from the socket go to the room, frames from the room's
//! queue go to the socket, and every way the connection can end is turned into a close code.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use crate::auth::read_only::ReadOnlyFilter;
use crate::close::CloseReason;
use crate::conn_id::ConnId;
use crate::gate::Admitted;
use crate::limits::ConnectionRate;
use crate::room::Dialect;
use crate::room_command::{Peer, RoomCommand};
use crate::rooms::Rooms;
use crate::roster::ConnectionInfo;
use crate::socket_io::{feed, read_error, timed_send, token_expiry, within_write_timeout};
use crate::upgrade::Socket;

/// Limits and timings of each connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionLimits {
    pub(crate) max_message_size: usize,
    pub(crate) send_queue: usize,
    pub(crate) ping_interval: Duration,
    pub(crate) write_timeout: Duration,
    /// A full bucket each connection starts from (see [`crate::Limits::messages_per_second`]).
    pub(crate) rate: ConnectionRate,
}

/// Messages written between two flushes (a large one as several frames), so a busy room still
/// flushes regularly.
const MAX_BATCH: usize = 256;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Who is connected and what they may do.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) admitted: Admitted,
    /// Whether a read-only client's awareness reaches the room.
    pub(crate) relay_read_only_awareness: bool,
}

/// Serves one upgraded socket on room `room` until either side ends it.
pub(crate) async fn serve(
    mut socket: Socket,
    room: String,
    client: Client,
    rooms: Arc<Rooms>,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let conn: ConnId = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let _counted = rooms.track_connection(
        &room,
        ConnectionInfo::new(conn, client.admitted.sub.clone(), client.admitted.access),
    );
    let sub = client.admitted.sub.as_deref().unwrap_or("");
    let mut read_only = (!client.admitted.access.can_write())
        .then(|| ReadOnlyFilter::new(client.relay_read_only_awareness));
    let expiry = token_expiry(client.admitted.expires_at);
    tokio::pin!(expiry);
    let mut rate = limits.rate.clone();
    let (outbox, mut outgoing) = mpsc::channel::<Bytes>(limits.send_queue);
    let (close_tx, mut closed_by_room) = oneshot::channel::<CloseReason>();

    // A send can only fail if the room task is unloading; retry on the room's next task.
    let mut join = RoomCommand::Join {
        conn,
        peer: Peer {
            outbox,
            close: close_tx,
        },
        dialect: Dialect::YWebsocket,
    };
    let handle = loop {
        let handle = rooms.handle(&room);
        match handle.commands.send(join).await {
            Ok(()) => break handle,
            Err(mpsc::error::SendError(command)) => join = command,
        }
    };
    tracing::debug!(
        room = %room,
        conn,
        sub,
        access = client.admitted.access.as_str(),
        "connection joined"
    );

    let mut ping = tokio::time::interval_at(
        tokio::time::Instant::now() + limits.ping_interval,
        limits.ping_interval,
    );
    let mut is_awaiting_pong = false;
    // The room logs the reasons it decides; this task logs its own.
    let mut is_room_decision = false;
    let reason: Option<CloseReason> = loop {
        tokio::select! {
            reason = &mut closed_by_room => {
                is_room_decision = true;
                break reason.ok();
            }
            _ = shutdown.changed() => break Some(CloseReason::ServerShutdown),
            () = &mut expiry => break Some(CloseReason::TokenExpired),
            frame = outgoing.recv() => {
                let Some(frame) = frame else {
                    is_room_decision = true;
                    break closed_by_room.try_recv().ok();
                };
                if let Err(reason) = write_batch(&mut socket, frame, &mut outgoing, &limits).await {
                    break reason;
                }
            }
            incoming = socket.next() => {
                // Every message counts, pings included: each costs the server a read.
                if let Some(Ok(message)) = &incoming {
                    if let Err(exceeded) = rate.admit(std::time::Instant::now(), message.len()) {
                        break Some(CloseReason::RateLimited(exceeded.to_string()));
                    }
                }
                match incoming {
                    None => break None,
                    Some(Err(err)) => break read_error(&err, &limits),
                    Some(Ok(Message::Binary(frame))) => {
                        let frame = match &mut read_only {
                            None => Some(frame),
                            Some(filter) => {
                                let filtered = filter.filter(frame);
                                if let Some(reply) = filtered.reply {
                                    if write_batch(&mut socket, reply, &mut outgoing, &limits).await.is_err() {
                                        break None;
                                    }
                                }
                                filtered.forward
                            }
                        };
                        if let Some(frame) = frame {
                            if handle.commands.send(RoomCommand::Frame { conn, frame }).await.is_err() {
                                break None;
                            }
                        }
                    }
                    Some(Ok(Message::Text(_))) => {
                        break Some(CloseReason::UnsupportedData(
                            "text frames are not supported: send binary y-websocket messages".into(),
                        ));
                    }
                    Some(Ok(Message::Pong(_))) => is_awaiting_pong = false,
                    Some(Ok(Message::Close(_))) => break None,
                    // Pings are answered by the WebSocket layer itself.
                    Some(Ok(Message::Ping(_) | Message::Frame(_))) => {}
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
        }
    };

    // Leave is idempotent: the room may already have dropped us (bad frame, slow consumer).
    let _ = handle.commands.send(RoomCommand::Leave { conn }).await;
    if let Some(reason) = &reason {
        if !is_room_decision && !matches!(reason, CloseReason::ServerShutdown) {
            reason.log(&room, conn);
        }
        if matches!(reason, CloseReason::TokenExpired) {
            tracing::info!(room = %room, conn, sub, "token expired: connection closed with 4401");
        }
        let close = Message::Close(Some(CloseFrame {
            code: CloseCode::from(reason.code()),
            reason: reason.text().into(),
        }));
        let _ = timed_send(&mut socket, close, &limits).await;
    }
    let _ = tokio::time::timeout(limits.write_timeout, SinkExt::close(&mut socket)).await;
    tracing::debug!(room = %room, conn, "connection ended");
}

/// Writes `first` and whatever else is already queued, then flushes once.
async fn write_batch(
    socket: &mut Socket,
    first: Bytes,
    outgoing: &mut mpsc::Receiver<Bytes>,
    limits: &ConnectionLimits,
) -> Result<(), Option<CloseReason>> {
    let write = async {
        feed(socket, first).await?;
        for _ in 1..MAX_BATCH {
            let Ok(frame) = outgoing.try_recv() else {
                break;
            };
            feed(socket, frame).await?;
        }
        socket.flush().await
    };
    within_write_timeout(write, limits).await
}
