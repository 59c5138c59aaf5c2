//! Which wire dialect a provider speaks.

/// The wire dialect of the server a provider connects to. The document, the status, synced
/// and awareness API are the same for both; only the bytes on the socket differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// y-websocket, as ycord's server and `@y/websocket-server` speak it (the default): one
    /// room per socket, named by the URL path (`server_url/room`); a token travels in the
    /// WebSocket handshake.
    #[default]
    YWebsocket,
    /// Hocuspocus (`@hocuspocus/server` 4.x): the socket URL is the server URL itself and every
    /// frame names the document (the provider's room); the token travels in Hocuspocus's auth
    /// message, `""` when there is none. The server's answer to it maps onto the status API:
    /// a refusal is [`Status::Unauthorized`](crate::Status::Unauthorized) (or a fresh token
    /// from the [`TokenSource`](crate::TokenSource)) with the server's reason in
    /// [`permission_denied`](crate::WebsocketProvider::permission_denied), and a read-only
    /// grant shows in [`is_read_only`](crate::WebsocketProvider::is_read_only).
    Hocuspocus,
}
