//! How a provider connects.

use std::time::Duration;

use crate::core::{DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF};
use crate::dialect::Dialect;
use crate::session::DEFAULT_LIVENESS_TIMEOUT;
use crate::token::TokenSource;
#[cfg(not(target_arch = "wasm32"))]
use crate::HocuspocusSocket;

/// Options of a [`WebsocketProvider`](crate::WebsocketProvider); start from [`ProviderOptions::default`].
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderOptions {
    /// The server's wire dialect (default [`Dialect::YWebsocket`]). With
    /// [`Dialect::Hocuspocus`] the socket URL is `server_url?params` (no room in the path),
    /// the room is the Hocuspocus document name, and [`token`](Self::token) is sent in
    /// Hocuspocus's auth message instead of the handshake.
    pub dialect: Dialect,
    /// Native only: share this Hocuspocus socket with other providers (each for a different
    /// document) instead of opening one of its own (default `None`). Implies
    /// [`Dialect::Hocuspocus`]; the socket's URL replaces the provider's `server_url` and
    /// `params`.
    #[cfg(not(target_arch = "wasm32"))]
    pub hocuspocus_socket: Option<HocuspocusSocket>,
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
    /// Query parameters appended to the URL. Keys and values are percent-encoded like
    /// JavaScript's `encodeURIComponent`. A `token` parameter is how y-websocket clients pass
    /// an access token; prefer [`token`](Self::token), which keeps it out of URLs and logs
    /// (the provider shows a `token` parameter as `redacted` in its logs).
    pub params: Vec<(String, String)>,
    /// The access token (a JWT) to connect with (default `None`). Natively it is sent as
    /// `Authorization: Bearer <token>`; in the browser, which cannot set headers on a
    /// WebSocket, as the subprotocol `ycord.token.<token>` offered next to `ycord` (the server
    /// answers `ycord`). Never logged.
    pub token: Option<String>,
    /// Where to get a fresh token (default `None`): called before the first connection when
    /// [`token`](Self::token) is `None`, and again when the server says the token is no good
    /// (see [`TokenSource`]). Without it, a token the server refuses (HTTP 401/403 at upgrade,
    /// close code 4401 when it expires) stops the provider with
    /// [`Status::Unauthorized`](crate::Status::Unauthorized) until
    /// [`connect`](crate::WebsocketProvider::connect).
    pub token_source: Option<TokenSource>,
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
            dialect: Dialect::default(),
            #[cfg(not(target_arch = "wasm32"))]
            hocuspocus_socket: None,
            connect: true,
            resync_interval: None,
            max_backoff: DEFAULT_MAX_BACKOFF,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            params: Vec::new(),
            token: None,
            token_source: None,
            liveness_timeout: DEFAULT_LIVENESS_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            #[cfg(target_arch = "wasm32")]
            cross_tab: true,
        }
    }
}

impl std::fmt::Debug for ProviderOptions {
    /// Like a derived `Debug`, except that the token is never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut options = f.debug_struct("ProviderOptions");
        options.field("dialect", &self.dialect);
        #[cfg(not(target_arch = "wasm32"))]
        options.field("hocuspocus_socket", &self.hocuspocus_socket);
        options
            .field("connect", &self.connect)
            .field("resync_interval", &self.resync_interval)
            .field("max_backoff", &self.max_backoff)
            .field("initial_backoff", &self.initial_backoff)
            .field("params", &redacted_params(&self.params))
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_source", &self.token_source)
            .field("liveness_timeout", &self.liveness_timeout)
            .field("connect_timeout", &self.connect_timeout);
        #[cfg(target_arch = "wasm32")]
        options.field("cross_tab", &self.cross_tab);
        options.finish()
    }
}

/// `params` with the value of a `token` parameter replaced, for logs and `Debug`.
pub(crate) fn redacted_params(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(key, value)| {
            let value = if key == "token" { "redacted" } else { value };
            (key.clone(), value.to_owned())
        })
        .collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let options = ProviderOptions {
            token: Some("secret.jwt.value".into()),
            params: vec![("token".into(), "query.jwt.value".into())],
            ..ProviderOptions::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("secret.jwt.value"), "{shown}");
        assert!(!shown.contains("query.jwt.value"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
