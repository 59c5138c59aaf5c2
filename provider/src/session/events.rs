//! What a session reports to its adapter.

use ycord_protocol::hocuspocus::AuthScope;
use yrs::ClientID;

/// Something the adapter should know about or act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The session became synced (the first SyncStep2 after the socket opened) or stopped
    /// being synced (the socket closed).
    Synced(bool),
    /// Awareness states changed, by a remote update, an expiry or the socket closing.
    AwarenessChanged {
        /// Clients whose state appeared.
        added: Vec<ClientID>,
        /// Clients whose state was renewed or changed.
        updated: Vec<ClientID>,
        /// Clients whose state was removed.
        removed: Vec<ClientID>,
    },
    /// The server refused a change; y-websocket clients only log this. A ycord server says
    /// so once per read-only connection; in the Hocuspocus dialect the session reports the
    /// first sync status `false` (a read-only connection) as [`READ_ONLY_REASON`](super::READ_ONLY_REASON).
    PermissionDenied {
        /// The server's reason.
        reason: String,
    },
    /// Hocuspocus: the server accepted the token for this document, with this scope.
    Authenticated {
        /// What the connection may do.
        scope: AuthScope,
    },
    /// Hocuspocus: the server refused the token for this document and will not talk about it
    /// on this socket again. Treat it as a refused token: close the socket, and reconnect
    /// with a fresh token or stop.
    AuthenticationFailed {
        /// The server's reason (Hocuspocus's default is `permission-denied`).
        reason: String,
    },
    /// Hocuspocus: the server ended this document's connection (the socket itself stays
    /// open). Close the socket and reconnect.
    DocumentClosed {
        /// The server's reason.
        reason: String,
    },
    /// Hocuspocus: a stateless message for this document, from the server (its
    /// `broadcastStateless` or `sendStateless`, or, on ycord, another client's
    /// stateless message). The payload is application-defined.
    Stateless {
        /// The message, as sent.
        payload: String,
    },
    /// Nothing arrived for [`SessionConfig::liveness_timeout`](super::SessionConfig::liveness_timeout): close this socket and open a
    /// new one.
    ConnectionStale,
}

/// What a session input produced: frames to send on the open socket, in order, each as one
/// binary WebSocket message, and events for the adapter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Complete y-websocket frames, one message each.
    pub frames: Vec<Vec<u8>>,
    /// Events, in the order they happened.
    pub events: Vec<SessionEvent>,
}

impl Output {
    /// Whether there is nothing to send and nothing to report.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty() && self.events.is_empty()
    }
}
