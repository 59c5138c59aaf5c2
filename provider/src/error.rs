//! Errors of the provider's public API.

use thiserror::Error;

/// Why a provider call was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProviderError {
    /// The server URL and room do not form a usable WebSocket URL.
    #[error("cannot connect to {url:?}: {detail}")]
    InvalidUrl {
        /// The URL as assembled from server URL, room and parameters.
        url: String,
        /// What is wrong with it and what to use instead.
        detail: String,
    },
    /// An awareness state must be a JSON document; peers reject frames carrying anything else.
    #[error("awareness state is not valid JSON: {detail}")]
    InvalidAwarenessState {
        /// What the JSON parser reported.
        detail: String,
    },
    /// [`WebsocketProvider::send_stateless`](crate::WebsocketProvider::send_stateless) with
    /// [`Dialect::YWebsocket`](crate::Dialect::YWebsocket): the y-websocket protocol has no
    /// stateless messages. Use [`Dialect::Hocuspocus`](crate::Dialect::Hocuspocus).
    #[error(
        "stateless messages need the Hocuspocus dialect (ProviderOptions::dialect = \
         Dialect::Hocuspocus); the y-websocket protocol has none"
    )]
    StatelessUnsupported,
    /// The call needs an open socket and there is none right now (connecting, waiting to
    /// reconnect, or disconnected). Nothing was queued: try again once
    /// [`status`](crate::WebsocketProvider::status) is [`Status::Connected`](crate::Status::Connected).
    #[error("no socket is open; nothing was sent (try again once the provider is connected)")]
    NotConnected,
}
