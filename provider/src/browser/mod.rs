//! The browser transport (wasm32): the provider's task drives the session over the browser's
//! `WebSocket`, plus cross-tab sync over a `BroadcastChannel`.

mod clock;
mod cross_tab;
mod network;
mod page;
mod page_hide;
mod socket;
mod timer;
mod token_endpoint;
mod worker;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use self::cross_tab::CrossTab;
use self::network::NetworkListener;
use self::page_hide::PageHideListener;
use self::socket::BrowserSocket;
use self::worker::Worker;
use crate::core::{Launch, ProviderState};
use crate::WebsocketProvider;

pub(crate) use self::clock::SessionClock;
pub use self::page::page_relay_url;
pub use self::token_endpoint::{room_path, TokenRequest};

/// What the task and the page-hide listener share besides the [`ProviderState`]. Single
/// threaded: every borrow ends within the statement that takes it.
pub(crate) struct Shared {
    pub(crate) state: Arc<ProviderState>,
    pub(crate) channel_name: String,
    /// The socket, while one exists: the task owns its lifecycle, the page-hide listener only
    /// sends a last frame on it.
    pub(crate) socket: RefCell<Option<BrowserSocket>>,
    /// The cross-tab channel while connecting is enabled and cross-tab sync is on.
    pub(crate) cross_tab: RefCell<Option<CrossTab>>,
}

impl Shared {
    /// Sends `frame` on the socket if one is open.
    pub(crate) fn send_to_server(&self, frame: &[u8]) {
        if let Some(socket) = self.socket.borrow().as_ref() {
            if self.state.is_open() {
                if let Err(err) = socket.send(frame) {
                    tracing::debug!(url = %self.state.url, %err, "send failed");
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
        let leave = self.state.session().leave_frame();
        if let Some(frame) = leave {
            self.send_to_server(&self.state.socket_frame(frame.clone()));
            self.post_to_tabs(&frame);
        }
    }
}

/// What the handle keeps of the browser transport: the listeners, removed when it is dropped.
pub(crate) struct Transport {
    shared: Rc<Shared>,
    _page_hide: Option<PageHideListener>,
    _network: Option<NetworkListener>,
}

impl Transport {
    /// Spawns the provider's task and registers the page's listeners.
    pub(crate) fn start(launch: Launch<'_>) -> Self {
        let shared = Rc::new(Shared {
            state: launch.state.clone(),
            channel_name: cross_tab::channel_name(launch.server_url, launch.room),
            socket: RefCell::new(None),
            cross_tab: RefCell::new(None),
        });
        let network = NetworkListener::register(&launch.commands);
        let worker = Worker::new(shared.clone(), launch);
        wasm_bindgen_futures::spawn_local(worker.run());
        Transport {
            _page_hide: PageHideListener::register(&shared),
            _network: network,
            shared,
        }
    }
}

impl WebsocketProvider {
    /// The `BroadcastChannel` name used for cross-tab sync (y-websocket's: server URL, `/`,
    /// room).
    pub fn channel_name(&self) -> &str {
        &self.transport.shared.channel_name
    }
}
