//! What the handle and its transport's task share.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;
use yrs::Doc;

use super::Reconnect;
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

    /// Every known non-null awareness state by client id.
    pub(crate) fn awareness_states(&self) -> BTreeMap<u64, String> {
        self.session()
            .awareness()
            .iter()
            .filter_map(|(id, state)| Some((id.get(), state.data?.to_string())))
            .collect()
    }

    /// Acts on what the session reported.
    pub(crate) fn report(&self, events: Vec<SessionEvent>, reconnect: &mut Reconnect) {
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
                // Each transport replaces the socket itself, where it handles `tick`.
                SessionEvent::ConnectionStale => {}
            }
        }
    }

    /// The socket is gone, whatever the reason: tell the session, then the watches.
    pub(crate) fn socket_closed(&self, reconnect: &mut Reconnect) {
        let closed = self.session().socket_closed();
        self.report(closed.events, reconnect);
        self.set_synced(false);
        self.set_status(Status::Disconnected);
    }
}
