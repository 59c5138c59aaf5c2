//! Why the server closes a connection, and the WebSocket close code each reason maps to.
//!
//! y-websocket clients stop reconnecting on codes 4400–4499, so only a deleted room and an
//! expired token use that range: a client must not retry those as they are (an expired token
//! needs a new one first). Every other reason here is one a client may retry after.

use ycord_protocol::{DecodeError, DecodeErrorKind};

/// A reason to close one connection; the rest of its room carries on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// A frame ended inside a message, or its bytes are not a valid message (1002).
    ProtocolError(String),
    /// A text frame, or an unknown message type (1003).
    UnsupportedData(String),
    /// A sync message whose update is not a valid Yjs v1 update, that yrs refuses, or that
    /// writes clocks of a client id another connection writes (1007).
    InvalidUpdate(String),
    /// The client did not read its messages fast enough and its send queue filled up (1008).
    SlowConsumer,
    /// A message over the configured maximum size (1009).
    MessageTooBig {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// No pong arrived within one ping interval (4000).
    PingTimeout,
    /// The server is shutting down (1001).
    ServerShutdown,
    /// The room's updates cannot be stored (or the room loaded) right now; nothing unstored
    /// was acknowledged, and the client's reconnect re-sends what it has (1011). The text says
    /// what the store reported.
    StorageUnavailable(String),
    /// The room was deleted through the HTTP API (4410, so y-websocket does not reconnect).
    RoomDeleted,
    /// The connection's token expired (4401): the client fetches a new one and reconnects.
    TokenExpired,
    /// The client sent more messages or bytes per second than its limit allows (1008).
    RateLimited(String),
    /// An update would have made the room's document larger than its limit (4413: a client
    /// that reconnected would send the same update again, so y-websocket must not retry).
    DocumentTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
}

impl CloseReason {
    /// The WebSocket close code sent to the client.
    pub fn code(&self) -> u16 {
        match self {
            CloseReason::ProtocolError(_) => 1002,
            CloseReason::UnsupportedData(_) => 1003,
            CloseReason::InvalidUpdate(_) => 1007,
            CloseReason::SlowConsumer => 1008,
            CloseReason::MessageTooBig { .. } => 1009,
            CloseReason::PingTimeout => 4000,
            CloseReason::ServerShutdown => 1001,
            CloseReason::StorageUnavailable(_) => 1011,
            CloseReason::RoomDeleted => 4410,
            CloseReason::TokenExpired => 4401,
            CloseReason::RateLimited(_) => 1008,
            CloseReason::DocumentTooLarge { .. } => 4413,
        }
    }

    /// One reason of each kind, so that every [`CloseReason::label`] can be listed before it
    /// first occurs (each close counter on `/metrics` starts at zero).
    pub fn every_kind() -> [CloseReason; 12] {
        // A new variant does not compile here until it is in this match, right above the list
        // it must join.
        let _is_listed_below = |reason: &CloseReason| match reason {
            CloseReason::ProtocolError(_)
            | CloseReason::UnsupportedData(_)
            | CloseReason::InvalidUpdate(_)
            | CloseReason::SlowConsumer
            | CloseReason::MessageTooBig { .. }
            | CloseReason::PingTimeout
            | CloseReason::ServerShutdown
            | CloseReason::StorageUnavailable(_)
            | CloseReason::RoomDeleted
            | CloseReason::TokenExpired
            | CloseReason::RateLimited(_)
            | CloseReason::DocumentTooLarge { .. } => (),
        };
        [
            CloseReason::ProtocolError(String::new()),
            CloseReason::UnsupportedData(String::new()),
            CloseReason::InvalidUpdate(String::new()),
            CloseReason::SlowConsumer,
            CloseReason::MessageTooBig { limit: 0 },
            CloseReason::PingTimeout,
            CloseReason::ServerShutdown,
            CloseReason::StorageUnavailable(String::new()),
            CloseReason::RoomDeleted,
            CloseReason::TokenExpired,
            CloseReason::RateLimited(String::new()),
            CloseReason::DocumentTooLarge { limit: 0 },
        ]
    }

    /// A short, stable label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            CloseReason::ProtocolError(_) => "protocol_error",
            CloseReason::UnsupportedData(_) => "unsupported_data",
            CloseReason::InvalidUpdate(_) => "invalid_update",
            CloseReason::SlowConsumer => "slow_consumer",
            CloseReason::MessageTooBig { .. } => "message_too_big",
            CloseReason::PingTimeout => "ping_timeout",
            CloseReason::ServerShutdown => "server_shutdown",
            CloseReason::StorageUnavailable(_) => "storage_unavailable",
            CloseReason::RoomDeleted => "room_deleted",
            CloseReason::TokenExpired => "token_expired",
            CloseReason::RateLimited(_) => "rate_limited",
            CloseReason::DocumentTooLarge { .. } => "document_too_large",
        }
    }

    /// Writes the structured log line for closing connection `conn` of `room` for this reason.
    pub fn log(&self, room: &str, conn: u64) {
        tracing::warn!(
            room = %room,
            conn,
            code = self.code(),
            kind = self.label(),
            reason = %self.text(),
            "closing connection"
        );
    }

    /// The close frame's reason text, cut to the 123 bytes a close frame can carry.
    pub fn text(&self) -> String {
        let text = match self {
            CloseReason::ProtocolError(detail)
            | CloseReason::UnsupportedData(detail)
            | CloseReason::InvalidUpdate(detail) => detail.clone(),
            CloseReason::StorageUnavailable(detail) | CloseReason::RateLimited(detail) => {
                detail.clone()
            }
            CloseReason::DocumentTooLarge { limit } => {
                format!("the update would make the document larger than {limit} bytes")
            }
            CloseReason::RoomDeleted => "room deleted".to_owned(),
            CloseReason::TokenExpired => "token expired".to_owned(),
            CloseReason::SlowConsumer => "send queue full: client is not reading".to_owned(),
            CloseReason::MessageTooBig { limit } => format!("message exceeds {limit} bytes"),
            CloseReason::PingTimeout => "no pong received within the ping interval".to_owned(),
            CloseReason::ServerShutdown => "server shutting down".to_owned(),
        };
        truncate_utf8(text, 123)
    }
}

impl From<&DecodeError> for CloseReason {
    fn from(err: &DecodeError) -> Self {
        match err.kind() {
            DecodeErrorKind::UnknownType => CloseReason::UnsupportedData(err.to_string()),
            DecodeErrorKind::Truncated | DecodeErrorKind::Malformed => {
                CloseReason::ProtocolError(err.to_string())
            }
        }
    }
}

fn truncate_utf8(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_text_fits_a_close_frame_on_a_char_boundary() {
        let reason = CloseReason::InvalidUpdate("é".repeat(100));
        let text = reason.text();
        assert!(text.len() <= 123);
        assert!(text.chars().all(|c| c == 'é'));
    }

    #[test]
    fn only_deletion_expiry_and_oversize_documents_use_the_codes_that_stop_y_websocket_reconnecting(
    ) {
        for reason in CloseReason::every_kind() {
            let stops_reconnecting = (4400..4500).contains(&reason.code());
            assert_eq!(
                stops_reconnecting,
                matches!(
                    reason,
                    CloseReason::RoomDeleted
                        | CloseReason::TokenExpired
                        | CloseReason::DocumentTooLarge { .. }
                ),
                "{reason:?}"
            );
        }
    }

    #[test]
    fn every_kind_has_its_own_label() {
        let kinds = CloseReason::every_kind();
        let labels: std::collections::HashSet<_> = kinds.iter().map(CloseReason::label).collect();
        assert_eq!(labels.len(), kinds.len());
    }
}
