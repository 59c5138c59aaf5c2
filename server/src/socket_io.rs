//! Writing to and reading from an accepted WebSocket, the same way for both dialects: every
//! write is bounded by the write timeout (a client that does not read is a slow consumer), large
//! messages are fragmented, and read errors become a close reason only where the client is owed
//! one.

use std::future::Future;

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::close::CloseReason;
use crate::connection::ConnectionLimits;
use crate::fragment::binary_frames;
use crate::upgrade::Socket;

/// Runs `write` (feeds and a flush) within the write timeout. A timeout is a slow consumer; a
/// socket error ends the connection without a reason (the socket is gone).
pub(crate) async fn within_write_timeout(
    write: impl Future<Output = Result<(), WsError>>,
    limits: &ConnectionLimits,
) -> Result<(), Option<CloseReason>> {
    match tokio::time::timeout(limits.write_timeout, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(None),
        Err(_) => Err(Some(CloseReason::SlowConsumer)),
    }
}

/// Queues one message, fragmented when large (see [`crate::fragment`]); the caller flushes.
pub(crate) async fn feed(socket: &mut Socket, message: Bytes) -> Result<(), WsError> {
    for frame in binary_frames(message) {
        socket.feed(frame).await?;
    }
    Ok(())
}

/// Sends one control or close message within the write timeout.
pub(crate) async fn timed_send(
    socket: &mut Socket,
    message: Message,
    limits: &ConnectionLimits,
) -> Result<(), ()> {
    match tokio::time::timeout(limits.write_timeout, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// A read error is the client's doing except for an oversize message, which gets a reason.
pub(crate) fn read_error(err: &WsError, limits: &ConnectionLimits) -> Option<CloseReason> {
    match err {
        WsError::Capacity(_) => Some(CloseReason::MessageTooBig {
            limit: limits.max_message_size,
        }),
        _ => {
            tracing::debug!(error = %err, "websocket read failed");
            None
        }
    }
}

/// Resolves when a token that expires at `expires_at` (seconds since the Unix epoch) has
/// expired; never without one. The socket is then closed with 4401.
pub(crate) async fn token_expiry(expires_at: Option<u64>) {
    match expires_at {
        Some(exp) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            tokio::time::sleep(std::time::Duration::from_secs(exp).saturating_sub(now)).await;
        }
        None => std::future::pending().await,
    }
}
