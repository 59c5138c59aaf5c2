//! What the handle and its transport's task share.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::{broadcast, watch};
use ycord_protocol::hocuspocus::AuthScope;
use yrs::Doc;

use super::Reconnect;
use crate::dialect::Dialect;
use crate::session::{SessionEvent, SyncSession};
use crate::status::Status;

/// The session and the watches the handle reads, shared between the handle and the task.
pub(crate) struct ProviderState {
    pub(crate) doc: Doc,
    /// The socket URL as logged and shown: a `token` parameter's value reads `redacted`.
    pub(crate) url: String,
    /// The socket URL the transport connects to.
    pub(crate) socket_url: String,
    session: Mutex<SyncSession>,
    status: watch::Sender<Status>,
    synced: watch::Sender<bool>,
    awareness: watch::Sender<()>,
    permission_denied: watch::Sender<Option<String>>,
    read_only: watch::Sender<bool>,
    stateless: broadcast::Sender<String>,
}

/// How many stateless messages a [`WebsocketProvider::stateless_messages`](crate::WebsocketProvider::stateless_messages)
/// receiver may fall behind before it misses the oldest.
pub(crate) const STATELESS_BUFFER: usize = 256;

/// What the transport should do with its socket after [`ProviderState::report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum SocketVerdict {
    /// Carry on.
    Keep,
    /// Close it (code 1000) and reconnect after the backoff.
    Replace,
    /// Close it (code 1000) and stop: the reconnect policy no longer connects.
    Refused,
}

impl ProviderState {
    /// The state of a provider that connects at once when `connect` is set.
    pub(crate) fn new(
        doc: Doc,
        socket_url: String,
        url: String,
        session: SyncSession,
        connect: bool,
    ) -> Self {
        let initial_status = if connect {
            Status::Connecting
        } else {
            Status::Disconnected
        };
        ProviderState {
            doc,
            url,
            socket_url,
            session: Mutex::new(session),
            status: watch::Sender::new(initial_status),
            synced: watch::Sender::new(false),
            awareness: watch::Sender::new(()),
            permission_denied: watch::Sender::new(None),
            read_only: watch::Sender::new(false),
            stateless: broadcast::Sender::new(STATELESS_BUFFER),
        }
    }

    /// Locks the session. Callers keep the guard within one statement: it must never live
    /// across an `.await`, and on wasm32 a second lock would panic.
    pub(crate) fn session(&self) -> MutexGuard<'_, SyncSession> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a socket is open, without waiting for (or, on wasm32, panicking on) a session
    /// that is locked right now; a locked session counts as closed.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn is_open(&self) -> bool {
        self.session
            .try_lock()
            .is_ok_and(|session| session.is_open())
    }

    /// Whether the session can be locked right now.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn is_session_free(&self) -> bool {
        self.session.try_lock().is_ok()
    }

    /// The token for the next socket's handshake, given the credentials' `token`. In the
    /// Hocuspocus dialect the handshake carries none: the session sends the token in its auth
    /// message instead.
    pub(crate) fn handshake_token(&self, token: Option<&str>) -> Option<String> {
        let mut session = self.session();
        match session.dialect() {
            Dialect::YWebsocket => token.map(str::to_owned),
            Dialect::Hocuspocus => {
                session.set_token(token);
                None
            }
        }
    }

    /// A frame the session built for sibling tabs (awareness), for the socket.
    pub(crate) fn socket_frame(&self, frame: Vec<u8>) -> Vec<u8> {
        self.session().socket_frame(frame)
    }

    pub(crate) fn status(&self) -> Status {
        *self.status.borrow()
    }

    pub(crate) fn status_changes(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    pub(crate) fn set_status(&self, status: Status) {
        self.status.send_if_modified(|current| {
            let changed = *current != status;
            *current = status;
            changed
        });
    }

    pub(crate) fn is_synced(&self) -> bool {
        *self.synced.borrow()
    }

    pub(crate) fn synced_changes(&self) -> watch::Receiver<bool> {
        self.synced.subscribe()
    }

    pub(crate) fn set_synced(&self, synced: bool) {
        self.synced.send_if_modified(|current| {
            let changed = *current != synced;
            *current = synced;
            changed
        });
    }

    pub(crate) fn awareness_changes(&self) -> watch::Receiver<()> {
        self.awareness.subscribe()
    }

    pub(crate) fn notify_awareness(&self) {
        self.awareness.send_modify(|_| {});
    }

    pub(crate) fn permission_denied(&self) -> Option<String> {
        self.permission_denied.borrow().clone()
    }

    pub(crate) fn permission_denied_changes(&self) -> watch::Receiver<Option<String>> {
        self.permission_denied.subscribe()
    }

    pub(crate) fn is_read_only(&self) -> bool {
        *self.read_only.borrow()
    }

    pub(crate) fn read_only_changes(&self) -> watch::Receiver<bool> {
        self.read_only.subscribe()
    }

    pub(crate) fn stateless_messages(&self) -> broadcast::Receiver<String> {
        self.stateless.subscribe()
    }

    /// Every known non-null awareness state by client id.
    pub(crate) fn awareness_states(&self) -> BTreeMap<u64, String> {
        self.session()
            .awareness()
            .iter()
            .filter_map(|(id, state)| Some((id.get(), state.data?.to_string())))
            .collect()
    }

    /// Acts on what the session reported, and says what becomes of the socket.
    pub(crate) fn report(
        &self,
        events: Vec<SessionEvent>,
        reconnect: &mut Reconnect,
    ) -> SocketVerdict {
        let mut verdict = SocketVerdict::Keep;
        for event in events {
            match event {
                SessionEvent::Synced(synced) => {
                    if synced {
                        reconnect.synced();
                    }
                    self.set_synced(synced);
                }
                SessionEvent::AwarenessChanged { .. } => self.notify_awareness(),
                SessionEvent::PermissionDenied { reason } => {
                    tracing::warn!(url = %self.url, %reason, "permission denied");
                    self.permission_denied.send_replace(Some(reason));
                }
                SessionEvent::Authenticated { scope } => {
                    self.read_only.send_if_modified(|read_only| {
                        let now = scope == AuthScope::ReadOnly;
                        std::mem::replace(read_only, now) != now
                    });
                }
                SessionEvent::AuthenticationFailed { reason } => {
                    let stops = reconnect.authentication_failed(&self.url, &reason);
                    self.permission_denied.send_replace(Some(reason));
                    verdict = if stops {
                        SocketVerdict::Refused
                    } else {
                        SocketVerdict::Replace
                    };
                }
                SessionEvent::DocumentClosed { reason } => {
                    tracing::info!(url = %self.url, %reason, "the server closed the document; reconnecting");
                    if verdict == SocketVerdict::Keep {
                        verdict = SocketVerdict::Replace;
                    }
                }
                SessionEvent::Stateless { payload } => {
                    // No receiver is not an error: nobody asked for them.
                    let _ = self.stateless.send(payload);
                }
                // Each transport replaces the socket itself, where it handles `tick`.
                SessionEvent::ConnectionStale => {}
            }
        }
        verdict
    }

    /// The socket is gone, whatever the reason: tell the session, then the watches.
    pub(crate) fn socket_closed(&self, reconnect: &mut Reconnect) {
        let closed = self.session().socket_closed();
        // Closing yields no events that could change the verdict: the socket is gone anyway.
        let _ = self.report(closed.events, reconnect);
        self.set_synced(false);
        self.set_status(Status::Disconnected);
    }
}
