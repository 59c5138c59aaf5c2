//! How a provider connects.

use std::time::Duration;

use crate::core::{DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF};
use crate::session::DEFAULT_LIVENESS_TIMEOUT;
/// Options of a [`WebsocketProvider`](crate::WebsocketProvider); start from [`ProviderOptions::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderOptions {
    /// Connect as soon as the provider is created (default `true`); otherwise wait for
    /// [`WebsocketProvider::connect`](crate::WebsocketProvider::connect).
    pub connect: bool,
    /// Re-send SyncStep1 this often while connected (default `None`: never).
    pub resync_interval: Option<Duration>,
    /// Cap on the reconnect delay (default 2.5 s).
    pub max_backoff: Duration,
    /// First reconnect delay ceiling, doubled after every unsuccessful connection
    /// (default 100 ms).
    pub initial_backoff: Duration,
    /// Query parameters appended to the URL, e.g. an auth token. Keys and values are
    /// percent-encoded like JavaScript's `encodeURIComponent`.
    pub params: Vec<(String, String)>,
    /// A socket that delivered nothing for this long is replaced (default 30 s). Half-way
    /// through a silence the provider sends a WebSocket ping, so a quiet but healthy
    /// connection is kept.
    pub liveness_timeout: Duration,
    /// Give up on a connection attempt after this long (default 10 s).
    pub connect_timeout: Duration,
    /// Browser only: also sync with other tabs of the same origin that edit the same room,
    /// over a `BroadcastChannel` named and framed as y-websocket's (default `true`), so that
    /// a ycord tab and a y-websocket tab converge even while the server is unreachable.
    #[cfg(target_arch = "wasm32")]
    pub cross_tab: bool,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        ProviderOptions {
            connect: true,
            resync_interval: None,
            max_backoff: DEFAULT_MAX_BACKOFF,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            params: Vec::new(),
            liveness_timeout: DEFAULT_LIVENESS_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            #[cfg(target_arch = "wasm32")]
            cross_tab: true,
        }
    }
}
