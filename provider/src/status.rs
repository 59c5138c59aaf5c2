//! The connection status a provider reports.

/// Connection status of a [`WebsocketProvider`](crate::WebsocketProvider).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A socket is being opened (or a fresh token fetched for it).
    Connecting,
    /// A socket is open (not necessarily synced yet, see [`WebsocketProvider::is_synced`](crate::WebsocketProvider::is_synced)).
    Connected,
    /// No socket: waiting to reconnect, [`WebsocketProvider::disconnect`](crate::WebsocketProvider::disconnect)ed, or refused by
    /// the server (close code 4400–4499).
    Disconnected,
    /// No socket, and not reconnecting until [`WebsocketProvider::connect`](crate::WebsocketProvider::connect):
    /// the server refused the access token (HTTP 401 or 403 at upgrade, or close code 4401
    /// when it expired; with [`Dialect::Hocuspocus`](crate::Dialect::Hocuspocus), the
    /// server's permission-denied answer to the token) and there is no
    /// [`TokenSource`](crate::TokenSource) to get a fresh one.
    /// With a token source the provider fetches a new token and reconnects instead. A
    /// browser cannot see the HTTP status of a refused upgrade, so there only the 4401 close
    /// leads here; a refused upgrade looks like an unreachable server.
    Unauthorized,
}
