//! The browser transport (wasm32): a [`SyncSession`] driven over the browser's `WebSocket`,
//! plus cross-tab sync over a `BroadcastChannel`.

mod clock;
mod cross_tab;
mod network;
mod page;
mod socket;
mod timer;
mod worker;

use std::cell::{RefCell, RefMut};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot, watch};
use wasm_bindgen::prelude::*;
use yrs::{Doc, Origin};

use self::clock::DateClock;
use self::cross_tab::CrossTab;
use self::network::NetworkListener;
use self::socket::BrowserSocket;
use self::worker::{Command, Worker};
use crate::error::ProviderError;
use crate::options::ProviderOptions;
use crate::room_url::room_url;
use crate::session::{SessionConfig, SyncSession};
use crate::status::Status;

pub use self::page::page_relay_url;

/// What the provider's handle, its background task and the page-hide listener share. Single
/// threaded: every borrow ends within the statement that takes it.
pub(crate) struct Shared {
    pub(crate) doc: Doc,
    pub(crate) url: String,
    pub(crate) channel_name: String,
    pub(crate) session: RefCell<SyncSession>,
    /// The socket, while one exists: the task owns its lifecycle, the page-hide listener only
    /// sends a last frame on it.
    pub(crate) socket: RefCell<Option<BrowserSocket>>,
    /// The cross-tab channel while connecting is enabled and cross-tab sync is on.
    pub(crate) cross_tab: RefCell<Option<CrossTab>>,
    pub(crate) status: watch::Sender<Status>,
    pub(crate) synced: watch::Sender<bool>,
    pub(crate) awareness: watch::Sender<()>,
}

impl Shared {
    pub(crate) fn session(&self) -> RefMut<'_, SyncSession> {
        self.session.borrow_mut()
    }

    pub(crate) fn set_status(&self, status: Status) {
        self.status.send_if_modified(|current| {
            let changed = *current != status;
            *current = status;
            changed
        });
    }

    pub(crate) fn set_synced(&self, synced: bool) {
        self.synced.send_if_modified(|current| {
            let changed = *current != synced;
            *current = synced;
            changed
        });
    }

    pub(crate) fn notify_awareness(&self) {
        self.awareness.send_modify(|_| {});
    }

    /// Sends `frame` on the socket if one is open.
    pub(crate) fn send_to_server(&self, frame: &[u8]) {
        if let Some(socket) = self.socket.borrow().as_ref() {
            if self.session.try_borrow().is_ok_and(|s| s.is_open()) {
                if let Err(err) = socket.send(frame) {
                    tracing::debug!(url = %self.url, %err, "send failed");
                }
            }
        }
    }

    /// Posts `frame` to the other tabs if cross-tab sync is active.
    pub(crate) fn post_to_tabs(&self, frame: &[u8]) {
        if let Some(channel) = self.cross_tab.borrow().as_ref() {
            channel.post(frame);
        }
    }

    /// Tells the server and the other tabs that this client is leaving. Used right before the
    /// socket and channel go away, including when the page is being hidden for good.
    pub(crate) fn announce_leave(&self) {
        let leave = self.session().leave_frame();
        if let Some(frame) = leave {
            self.send_to_server(&frame);
            self.post_to_tabs(&frame);
        }
    }
}

/// Keeps a room's document in sync with a y-websocket server from a browser (wasm32).
///
/// Behaves like the native provider — the same methods, options, status and synced watches,
/// jittered reconnect backoff, resync, liveness, awareness renewal and expiry — over the
/// browser's `WebSocket`. In addition, unless [`ProviderOptions::cross_tab`] is off, it syncs
/// the document and awareness with other tabs of the same origin editing the same room over
/// a `BroadcastChannel` with y-websocket's name and framing, so a ycord tab and a JavaScript
/// y-websocket tab converge even while the server is unreachable. When the page is hidden for
/// good (`pagehide`), peers are told this client left. When the browser reports it went
/// offline, the socket is dropped at once instead of after the liveness timeout; when it is
/// back online, the provider reconnects without waiting out its backoff.
///
/// To work offline first, open the document's IndexedDB persistence (and await its load)
/// before creating the provider: the socket then starts from the restored state, and edits
/// made offline reach the server on the next connection.
///
/// The provider is not `Send`: it holds JavaScript objects. In Leptos keep it in
/// `StoredValue::new_local` (or a `SendWrapper`).
///
/// # Deadlocks
/// The provider locks the document to apply remote updates. Do not call its methods while
/// holding a transaction of the same document, or from inside one of the document's
/// observers.
pub struct WebsocketProvider {
    shared: Rc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    observer_key: Origin,
    page_hide: Option<PageHideListener>,
    /// Dropped with the provider, which removes its listeners.
    _network: Option<NetworkListener>,
}

impl std::fmt::Debug for WebsocketProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebsocketProvider")
            .field("url", &self.shared.url)
            .field("client_id", &self.client_id())
            .field("status", &self.status())
            .field("synced", &self.is_synced())
            .finish_non_exhaustive()
    }
}

impl WebsocketProvider {
    /// Syncs `doc` with room `room` of the server at `server_url` (`ws://` or `wss://`; a
    /// trailing `/` is trimmed; `http(s)://` is accepted as `ws(s)://`). The socket URL is
    /// `server_url/room?params`. Connects at once unless `options.connect` is false.
    ///
    /// # Panics
    /// When the URL is not usable (see [`try_new`](Self::try_new)).
    pub fn new(server_url: &str, room: &str, doc: Doc, options: ProviderOptions) -> Self {
        match Self::try_new(server_url, room, doc, options) {
            Ok(provider) => provider,
            Err(err) => panic!("{err}"),
        }
    }

    /// Like [`new`](Self::new), but reports an unusable URL instead of panicking.
    ///
    /// # Errors
    /// [`ProviderError::InvalidUrl`] when the URL does not parse or is not a WebSocket or
    /// HTTP URL.
    pub fn try_new(
        server_url: &str,
        room: &str,
        doc: Doc,
        options: ProviderOptions,
    ) -> Result<Self, ProviderError> {
        let url = room_url(server_url, room, &options.params)?;
        let config = SessionConfig {
            resync_interval: options.resync_interval,
            liveness_timeout: options.liveness_timeout,
            ..SessionConfig::default()
        };
        let session = SyncSession::with_config(doc.clone(), DateClock, config);
        let remote_origin = session.remote_origin().clone();
        let initial_status = if options.connect {
            Status::Connecting
        } else {
            Status::Disconnected
        };
        let shared = Rc::new(Shared {
            doc: doc.clone(),
            url,
            channel_name: cross_tab::channel_name(server_url, room),
            session: RefCell::new(session),
            socket: RefCell::new(None),
            cross_tab: RefCell::new(None),
            status: watch::Sender::new(initial_status),
            synced: watch::Sender::new(false),
            awareness: watch::Sender::new(()),
        });
        let (commands, receiver) = mpsc::unbounded_channel();

        static NEXT_OBSERVER: AtomicU64 = AtomicU64::new(0);
        let observer_key = Origin::from(format!(
            "ycord-provider/updates/{}",
            NEXT_OBSERVER.fetch_add(1, Ordering::Relaxed)
        ));
        let local_updates = commands.clone();
        // The document is locked while this runs: only forward the bytes.
        let _ = doc.observe_update_v1(observer_key.clone(), move |txn, event| {
            if txn.origin() != Some(&remote_origin) {
                let _ = local_updates.send(Command::LocalUpdate(event.update.clone()));
            }
        });

        let worker = Worker::new(shared.clone(), receiver, &options);
        wasm_bindgen_futures::spawn_local(worker.run());
        let page_hide = PageHideListener::register(&shared);
        let network = NetworkListener::register(&commands);
        Ok(WebsocketProvider {
            shared,
            commands,
            observer_key,
            page_hide,
            _network: network,
        })
    }

    /// The synchronised document.
    pub fn doc(&self) -> &Doc {
        &self.shared.doc
    }

    /// The document's client id, which is also this client's awareness id.
    pub fn client_id(&self) -> u64 {
        self.shared.doc.client_id().get()
    }

    /// The WebSocket URL the provider connects to.
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// The `BroadcastChannel` name used for cross-tab sync (y-websocket's: server URL, `/`,
    /// room).
    pub fn channel_name(&self) -> &str {
        &self.shared.channel_name
    }

    /// The current connection status.
    pub fn status(&self) -> Status {
        *self.shared.status.borrow()
    }

    /// A receiver that sees every status change.
    pub fn status_changes(&self) -> watch::Receiver<Status> {
        self.shared.status.subscribe()
    }

    /// Whether the current socket has received the server's state (its first SyncStep2).
    /// Other tabs never make a provider synced: only the server can.
    pub fn is_synced(&self) -> bool {
        *self.shared.synced.borrow()
    }

    /// A receiver that sees every change of [`is_synced`](Self::is_synced).
    pub fn synced_changes(&self) -> watch::Receiver<bool> {
        self.shared.synced.subscribe()
    }

    /// Waits until the provider is synced (returns at once if it is).
    pub async fn wait_synced(&self) {
        let mut synced = self.shared.synced.subscribe();
        // The sender lives as long as `self`, so this only ends by becoming synced.
        let _ = synced.wait_for(|synced| *synced).await;
    }

    /// A receiver notified whenever the set of awareness states may have changed.
    pub fn awareness_changes(&self) -> watch::Receiver<()> {
        self.shared.awareness.subscribe()
    }

    /// Sets this client's awareness state to `json` (raw JSON) and announces it. Invalid
    /// JSON is logged and ignored; use [`try_set_local_state`](Self::try_set_local_state) to
    /// get the error instead.
    pub fn set_local_state(&self, json: &str) {
        if let Err(err) = self.try_set_local_state(json) {
            tracing::warn!(url = %self.shared.url, %err, "awareness state ignored");
        }
    }

    /// Sets this client's awareness state, refusing what is not JSON.
    ///
    /// # Errors
    /// [`ProviderError::InvalidAwarenessState`] when `json` does not parse; nothing changes.
    pub fn try_set_local_state(&self, json: &str) -> Result<(), ProviderError> {
        self.shared.session().set_local_state(json).map_err(|err| {
            ProviderError::InvalidAwarenessState {
                detail: err.to_string(),
            }
        })?;
        let _ = self.commands.send(Command::LocalAwareness);
        self.shared.notify_awareness();
        Ok(())
    }

    /// Removes this client's awareness state; peers see it leave.
    pub fn clear_local_state(&self) {
        let _ = self.shared.session().clear_local_state();
        let _ = self.commands.send(Command::LocalAwareness);
        self.shared.notify_awareness();
    }

    /// Every known non-null awareness state by client id, this client's included.
    pub fn awareness_states(&self) -> BTreeMap<u64, String> {
        self.shared
            .session()
            .awareness()
            .iter()
            .filter_map(|(id, state)| Some((id.get(), state.data?.to_string())))
            .collect()
    }

    /// (Re)enables connecting (and cross-tab sync): connects now if disconnected or waiting
    /// to reconnect. Also needed after the server refused the connection with a close code in
    /// 4400–4499.
    pub fn connect(&self) {
        let _ = self.commands.send(Command::Connect);
    }

    /// Announces this client's awareness state as removed, closes the socket (code 1000) and
    /// the cross-tab channel, and stays disconnected until [`connect`](Self::connect).
    pub async fn disconnect(&self) {
        let (done, closed) = oneshot::channel();
        if self.commands.send(Command::Disconnect(done)).is_ok() {
            let _ = closed.await;
        }
    }
}

impl Drop for WebsocketProvider {
    /// Announces the leave, closes the socket and the channel, and unregisters every listener.
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(listener) = self.page_hide.take() {
            listener.unregister();
        }
        // `try`: dropping inside one of the document's observers must not panic. Should the
        // document be busy, the observer stays, forwarding into a closed channel.
        if self
            .shared
            .doc
            .unobserve_update_v1(self.observer_key.clone())
            .is_err()
        {
            tracing::debug!(url = %self.shared.url, "document busy; update observer left in place");
        }
    }
}

/// The `pagehide` listener that tells peers this client left when the page goes away (the
/// task gets no chance to run then).
struct PageHideListener {
    window: web_sys::Window,
    callback: Closure<dyn FnMut()>,
}

impl PageHideListener {
    fn register(shared: &Rc<Shared>) -> Option<Self> {
        let window = web_sys::window()?;
        let shared = Rc::downgrade(shared);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(shared) = shared.upgrade() {
                if shared.session.try_borrow_mut().is_ok() {
                    shared.announce_leave();
                }
            }
        });
        window
            .add_event_listener_with_callback("pagehide", callback.as_ref().unchecked_ref())
            .ok()?;
        Some(PageHideListener { window, callback })
    }

    fn unregister(self) {
        let _ = self.window.remove_event_listener_with_callback(
            "pagehide",
            self.callback.as_ref().unchecked_ref(),
        );
    }
}
