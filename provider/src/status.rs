//! The connection status a provider reports.

/// Connection status of a [`WebsocketProvider`](crate::WebsocketProvider).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A socket is being opened.
    Connecting,
    /// A socket is open (not necessarily synced yet, see [`WebsocketProvider::is_synced`](crate::WebsocketProvider::is_synced)).
    Connected,
    /// No socket: waiting to reconnect, [`WebsocketProvider::disconnect`](crate::WebsocketProvider::disconnect)ed, or refused by
    /// the server (close code 4400–4499).
    Disconnected,
}
