//! The provider handle applications hold, the same on every transport.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use yrs::Doc;

use super::{Command, Launch, LocalUpdates, ProviderState};
use crate::dialect::Dialect;
use crate::error::ProviderError;
use crate::options::{redacted_params, ProviderOptions};
use crate::room_url::{room_url, server_url as hocuspocus_url};
use crate::session::{SessionConfig, SessionError, SyncSession};
use crate::status::Status;
use crate::transport::{SessionClock, Transport};

/// Keeps a room's document in sync with a y-websocket server.
///
/// A background task owns the socket: it connects (and reconnects with jittered exponential
/// backoff), runs the [`SyncSession`], sends local edits as they are committed, renews the
/// awareness state every 15 s, resyncs when asked to and replaces a socket that went silent.
/// Edits made while disconnected are exchanged on the next connection.
#[cfg_attr(
    not(target_arch = "wasm32"),
    doc = "\nThis build's transport is native: tokio and tokio-tungstenite. The provider is \
           `Send` and `Sync`."
)]
#[cfg_attr(
    target_arch = "wasm32",
    doc = "\nThis build's transport is the browser's `WebSocket`. In addition, unless \
           [`ProviderOptions::cross_tab`] is off, it syncs the document and awareness with \
           other tabs of the same origin editing the same room over a `BroadcastChannel` with \
           y-websocket's name and framing, so a ycord tab and a JavaScript y-websocket tab \
           converge even while the server is unreachable. When the page is hidden for good \
           (`pagehide`), peers are told this client left. When the browser reports it went \
           offline, the socket is dropped at once instead of after the liveness timeout; when \
           it is back online, the provider reconnects without waiting out its backoff.\n\n\
           To work offline first, open the document's IndexedDB persistence (and await its \
           load) before creating the provider: the socket then starts from the restored \
           state, and edits made offline reach the server on the next connection.\n\n\
           The provider is not `Send`: it holds JavaScript objects. In Leptos keep it in \
           `StoredValue::new_local` (or a `SendWrapper`)."
)]
///
/// # Deadlocks
/// The provider locks the document to apply remote updates. Do not call its methods while
/// holding a transaction of the same document, or from inside one of the document's
/// observers. Creating a provider while a transaction is open is fine: it starts observing
/// the document once the transaction ends, and connects only then.
pub struct WebsocketProvider {
    pub(crate) state: Arc<ProviderState>,
    commands: mpsc::UnboundedSender<Command>,
    local_updates: Arc<LocalUpdates>,
    /// Kept for its listeners; the browser's also names the cross-tab channel, the native one
    /// holds nothing to read.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) transport: Transport,
}

impl std::fmt::Debug for WebsocketProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebsocketProvider")
            .field("url", &self.state.url)
            .field("client_id", &self.client_id())
            .field("status", &self.status())
            .field("synced", &self.is_synced())
            .finish_non_exhaustive()
    }
}

impl WebsocketProvider {
    /// Syncs `doc` with room `room` of the server at `server_url`. The socket URL is
    /// `server_url/room?params` (a trailing `/` of `server_url` is trimmed). Connects at once
    /// unless `options.connect` is false. With [`Dialect::Hocuspocus`] the socket URL is
    /// `server_url?params` and `room` is the Hocuspocus document name.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        doc = "\n`server_url` is `ws://host:port`; `http://` is accepted as `ws://`."
    )]
    #[cfg_attr(
        target_arch = "wasm32",
        doc = "\n`server_url` is `ws://` or `wss://`; `http(s)://` is accepted as `ws(s)://`."
    )]
    ///
    /// # Panics
    /// When the URL is not usable (see [`try_new`](Self::try_new)).
    #[cfg_attr(not(target_arch = "wasm32"), doc = "Also outside a tokio runtime.")]
    pub fn new(server_url: &str, room: &str, doc: Doc, options: ProviderOptions) -> Self {
        match Self::try_new(server_url, room, doc, options) {
            Ok(provider) => provider,
            Err(err) => panic!("{err}"),
        }
    }

    /// Like [`new`](Self::new), but reports an unusable URL instead of panicking.
    ///
    /// # Errors
    #[cfg_attr(
        not(target_arch = "wasm32"),
        doc = "[`ProviderError::InvalidUrl`] when the URL does not parse or is not `ws://` / \
               `http://` (this build has no TLS, so `wss://` is refused)."
    )]
    #[cfg_attr(
        target_arch = "wasm32",
        doc = "[`ProviderError::InvalidUrl`] when the URL does not parse or is not a WebSocket \
               or HTTP URL."
    )]
    #[cfg_attr(
        not(target_arch = "wasm32"),
        doc = "\n# Panics\nOutside a tokio runtime."
    )]
    pub fn try_new(
        server_url: &str,
        room: &str,
        doc: Doc,
        options: ProviderOptions,
    ) -> Result<Self, ProviderError> {
        let shown_params = redacted_params(&options.params);
        #[cfg(not(target_arch = "wasm32"))]
        let dialect = match options.hocuspocus_socket {
            Some(_) => Dialect::Hocuspocus,
            None => options.dialect,
        };
        #[cfg(target_arch = "wasm32")]
        let dialect = options.dialect;
        let (socket_url, url) = match dialect {
            Dialect::YWebsocket => (
                room_url(server_url, room, &options.params)?,
                room_url(server_url, room, &shown_params)?,
            ),
            Dialect::Hocuspocus => (
                hocuspocus_url(server_url, &options.params)?,
                hocuspocus_url(server_url, &shown_params)?,
            ),
        };
        #[cfg(not(target_arch = "wasm32"))]
        let (socket_url, url) = match &options.hocuspocus_socket {
            Some(shared) => (shared.socket_url().to_owned(), shared.url().to_owned()),
            None => (socket_url, url),
        };
        let clock = SessionClock::start();
        let config = SessionConfig {
            resync_interval: options.resync_interval,
            liveness_timeout: options.liveness_timeout,
            ..SessionConfig::default()
        };
        let session = match dialect {
            Dialect::YWebsocket => SyncSession::with_config(doc.clone(), clock, config),
            Dialect::Hocuspocus => SyncSession::hocuspocus(doc.clone(), clock, config, room),
        };
        let remote_origin = session.remote_origin().clone();
        let state = Arc::new(ProviderState::new(
            doc.clone(),
            socket_url,
            url,
            session,
            options.connect,
        ));
        let (commands, receiver) = mpsc::unbounded_channel();
        let local_updates = Arc::new(LocalUpdates::new(doc, remote_origin, commands.clone()));
        // Usually succeeds here, so that an edit right after `new` is observed; when a
        // transaction is open the task keeps trying before it connects.
        local_updates.register();
        let transport = Transport::start(Launch {
            state: state.clone(),
            #[cfg(not(target_arch = "wasm32"))]
            clock,
            #[cfg(target_arch = "wasm32")]
            server_url,
            #[cfg(target_arch = "wasm32")]
            room,
            local_updates: local_updates.clone(),
            #[cfg(target_arch = "wasm32")]
            commands: commands.clone(),
            receiver,
            options: &options,
        });
        Ok(WebsocketProvider {
            state,
            commands,
            local_updates,
            transport,
        })
    }

    /// The synchronised document.
    pub fn doc(&self) -> &Doc {
        &self.state.doc
    }

    /// The document's client id, which is also this client's awareness id.
    pub fn client_id(&self) -> u64 {
        self.state.doc.client_id().get()
    }

    /// The WebSocket URL the provider connects to, as it appears in its logs: the value of a
    /// `token` query parameter reads `redacted`.
    pub fn url(&self) -> &str {
        &self.state.url
    }

    /// The current connection status.
    pub fn status(&self) -> Status {
        self.state.status()
    }

    /// A receiver that sees every status change.
    pub fn status_changes(&self) -> watch::Receiver<Status> {
        self.state.status_changes()
    }

    /// Whether the current socket has received the server's state (its first SyncStep2).
    /// Other tabs never make a provider synced: only the server can.
    pub fn is_synced(&self) -> bool {
        self.state.is_synced()
    }

    /// A receiver that sees every change of [`is_synced`](Self::is_synced).
    pub fn synced_changes(&self) -> watch::Receiver<bool> {
        self.state.synced_changes()
    }

    /// The reason the server gave the last time it refused a message of this client with
    /// y-protocols' permission-denied message; `None` until then. A ycord server sends
    /// `"read-only"` once per connection opened with a read-only token, the first time the
    /// client sends an edit. Edits the server refuses stay in the local document but reach no
    /// one. With [`Dialect::Hocuspocus`] it is also the reason a server gave for refusing the
    /// token (e.g. `permission-denied`), and `"read-only"` when it refused an edit.
    pub fn permission_denied(&self) -> Option<String> {
        self.state.permission_denied()
    }

    /// A receiver that sees every change of [`permission_denied`](Self::permission_denied).
    pub fn permission_denied_changes(&self) -> watch::Receiver<Option<String>> {
        self.state.permission_denied_changes()
    }

    /// Whether the server granted read-only access, as a Hocuspocus server says when it
    /// accepts the token (scope `readonly`); kept until the next connection's answer. Always
    /// `false` with [`Dialect::YWebsocket`], whose servers do not announce it: a ycord server
    /// sends [`permission_denied`](Self::permission_denied) `"read-only"` at the first edit
    /// instead, and so does this provider for a Hocuspocus server that refuses an edit.
    pub fn is_read_only(&self) -> bool {
        self.state.is_read_only()
    }

    /// A receiver that sees every change of [`is_read_only`](Self::is_read_only).
    pub fn read_only_changes(&self) -> watch::Receiver<bool> {
        self.state.read_only_changes()
    }

    /// Hocuspocus: whether changes sent on the current socket still wait for the server's
    /// acknowledgement (its sync status); a read-only connection never gets there. Always
    /// `false` with [`Dialect::YWebsocket`], which has no acknowledgements.
    pub fn has_unsynced_changes(&self) -> bool {
        self.state.session().unsynced_changes() > 0
    }

    /// Waits until the provider is synced (returns at once if it is).
    pub async fn wait_synced(&self) {
        let mut synced = self.state.synced_changes();
        // The sender lives as long as `self`, so this only ends by becoming synced.
        let _ = synced.wait_for(|synced| *synced).await;
    }

    /// A receiver notified whenever the set of awareness states may have changed (a remote
    /// update, an expiry, a disconnect, or a local change).
    pub fn awareness_changes(&self) -> watch::Receiver<()> {
        self.state.awareness_changes()
    }

    /// Sets this client's awareness state to `json` (raw JSON, e.g. `{"name":"bot"}`) and
    /// announces it at once when connected. Invalid JSON is logged and ignored; use
    /// [`try_set_local_state`](Self::try_set_local_state) to get the error instead.
    pub fn set_local_state(&self, json: &str) {
        if let Err(err) = self.try_set_local_state(json) {
            tracing::warn!(url = %self.state.url, %err, "awareness state ignored");
        }
    }

    /// Sets this client's awareness state, refusing what is not JSON.
    ///
    /// # Errors
    /// [`ProviderError::InvalidAwarenessState`] when `json` does not parse; nothing changes.
    pub fn try_set_local_state(&self, json: &str) -> Result<(), ProviderError> {
        self.state.session().set_local_state(json).map_err(|err| {
            ProviderError::InvalidAwarenessState {
                detail: err.to_string(),
            }
        })?;
        let _ = self.commands.send(Command::LocalAwareness);
        self.state.notify_awareness();
        Ok(())
    }

    /// Removes this client's awareness state; peers see it leave.
    pub fn clear_local_state(&self) {
        let _ = self.state.session().clear_local_state();
        let _ = self.commands.send(Command::LocalAwareness);
        self.state.notify_awareness();
    }

    /// Every known non-null awareness state by client id, this client's included.
    pub fn awareness_states(&self) -> BTreeMap<u64, String> {
        self.state.awareness_states()
    }

    /// Hocuspocus: sends `payload` to the server as a stateless message for this document
    /// (`HocuspocusProvider.sendStateless`). The payload is application-defined (often JSON)
    /// and never touches the document. A Hocuspocus server passes it to its `onStateless` hook,
    /// which decides who else sees it (e.g. `document.broadcastStateless(payload)`); ycord's
    /// server relays it to the document's other Hocuspocus clients.
    ///
    /// Unlike the JS provider, which queues it while the socket is down, this sends now or
    /// not at all: a stateless message is a signal about the present, and one delivered after
    /// a reconnect would be stale. `Ok` means it was handed to the open socket; a socket that
    /// fails at that moment loses it, as it would any frame.
    ///
    /// # Errors
    /// - [`ProviderError::StatelessUnsupported`] with [`Dialect::YWebsocket`], whose protocol
    ///   has no stateless messages.
    /// - [`ProviderError::NotConnected`] while no socket is open (connecting, waiting to
    ///   reconnect, disconnected); nothing is queued.
    pub fn send_stateless(&self, payload: &str) -> Result<(), ProviderError> {
        let frame = self
            .state
            .session()
            .stateless_frame(payload)
            .map_err(|err| match err {
                SessionError::StatelessUnsupported => ProviderError::StatelessUnsupported,
                _ => ProviderError::NotConnected,
            })?;
        self.commands
            .send(Command::Stateless(frame))
            .map_err(|_| ProviderError::NotConnected)
    }

    /// Hocuspocus: a receiver of every stateless message the server sends for this document
    /// from now on (`HocuspocusProvider`'s `onStateless`), in order, payload only. Each
    /// receiver gets every message; one that falls more than 256 messages behind gets
    /// [`RecvError::Lagged`](broadcast::error::RecvError::Lagged) and skips the oldest. Never
    /// receives anything with [`Dialect::YWebsocket`].
    pub fn stateless_messages(&self) -> broadcast::Receiver<String> {
        self.state.stateless_messages()
    }

    /// (Re)enables connecting: connects now if disconnected or waiting to reconnect. Also
    /// needed after the server refused the connection with a close code in 4400–4499, after
    /// which the provider, like y-websocket, stops reconnecting on its own, and after
    /// [`Status::Unauthorized`].
    pub fn connect(&self) {
        let _ = self.commands.send(Command::Connect);
    }

    /// Announces this client's awareness state as removed, closes the socket cleanly (code
    /// 1000) and stays disconnected until [`connect`](Self::connect). Returns once the socket
    /// is closed.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        doc = "A close handshake that takes more than 2 s is cut short."
    )]
    #[cfg_attr(target_arch = "wasm32", doc = "The cross-tab channel is closed too.")]
    pub async fn disconnect(&self) {
        let (done, closed) = oneshot::channel();
        if self.commands.send(Command::Disconnect(done)).is_ok() {
            let _ = closed.await;
        }
    }
}

impl Drop for WebsocketProvider {
    /// Best effort [`disconnect`](Self::disconnect) without waiting: the background task sends
    /// the leave frame, closes the socket and ends. The transport's listeners go with it.
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        self.local_updates.close(&self.state.url);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn provider_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<WebsocketProvider>();
    }
}
