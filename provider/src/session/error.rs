//! Why a session input was rejected.

use thiserror::Error;
use ycord_protocol::hocuspocus::HocuspocusDecodeError;
use ycord_protocol::DecodeError;

/// Why a session input was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SessionError {
    /// The frame is not a valid y-websocket frame; drop the socket and reconnect.
    #[error("the server sent a malformed frame: {0}")]
    Decode(#[from] DecodeError),
    /// The frame is not a valid Hocuspocus frame; drop the socket and reconnect.
    #[error("the server sent a malformed Hocuspocus frame: {0}")]
    HocuspocusDecode(#[from] HocuspocusDecodeError),
    /// A sync message carried bytes that are not a v1 update; drop the socket and reconnect.
    #[error("the server sent an update that is not a valid v1 update: {detail}")]
    InvalidUpdate {
        /// What the decoder reported.
        detail: String,
    },
    /// A decodable update could not be integrated into the document.
    #[error("the server sent an update the document cannot integrate: {detail}")]
    UpdateRejected {
        /// What yrs reported.
        detail: String,
    },
    /// A local awareness state is not JSON; peers would reject every frame carrying it.
    #[error("awareness state is not valid JSON: {detail}")]
    InvalidAwarenessState {
        /// What the JSON parser reported.
        detail: String,
    },
    /// A frame was fed to the session, or a stateless message was to be sent, while no socket
    /// was open ([`SyncSession::socket_opened`](super::SyncSession::socket_opened) not called,
    /// or [`SyncSession::socket_closed`](super::SyncSession::socket_closed) called since).
    #[error("no socket is open")]
    NotOpen,
    /// A stateless message was to be sent in the y-websocket dialect, whose protocol has no
    /// such message; only [`Dialect::Hocuspocus`](crate::Dialect::Hocuspocus) sessions send
    /// them.
    #[error("stateless messages need the Hocuspocus dialect; the y-websocket protocol has none")]
    StatelessUnsupported,
}
