//! The abuse limits a server enforces, with defaults that protect a small server without
//! ever refusing an honest Yjs client.

use std::time::Duration;

/// What one client, one address or one room may take of the server. Every limit refuses
/// something specific, with a status or close code the client can act on; the defaults fit a
/// small server and stay well above what y-websocket and ycord clients send when used by
/// people.
///
/// ```
/// use ycord_server::Limits;
///
/// let limits = Limits {
///     max_connections_per_ip: 20,
///     allowed_origins: vec!["https://notes.example.com".into()],
///     ..Limits::default()
/// };
/// # drop(limits);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Open WebSocket connections on the whole server. One more is refused at upgrade with
    /// HTTP 503 (the server is full; a client may retry later).
    pub max_connections: usize,
    /// Open WebSocket connections to one room. One more is refused at upgrade with HTTP 503.
    pub max_connections_per_room: usize,
    /// Open WebSocket connections from one client address (IPv4 address, or IPv6 /64 prefix,
    /// which is what one host is usually given). One more is refused at upgrade with HTTP 429.
    pub max_connections_per_ip: usize,
    /// Whether loopback clients (127.0.0.0/8, ::1) are exempt from
    /// [`Limits::max_connections_per_ip`]. On by default: behind a reverse proxy on the same
    /// host every client arrives from loopback, and local tests and benchmarks open thousands
    /// of connections from 127.0.0.1. The total and per-room limits still apply to them.
    pub exempt_loopback_from_ip_limit: bool,
    /// Messages one connection may send per second, on average. A connection over it (once
    /// its burst is spent) is closed with 1008 and a reason saying which limit it passed.
    pub messages_per_second: u32,
    /// Messages one connection may send at once above the per-second rate.
    pub message_burst: u32,
    /// Bytes one connection may send per second, on average. A connection over it is closed
    /// with 1008.
    pub bytes_per_second: usize,
    /// Bytes one connection may send at once above the per-second rate. Never less than the
    /// server's largest accepted message, whatever is set here, so that one initial sync of
    /// a big document always passes.
    pub byte_burst: usize,
    /// Bytes of a room's document encoded as one v1 update. An update that would make the
    /// document larger is refused: nothing of it is applied, stored or relayed, and its
    /// sender is closed with 4413 (an HTTP API update gets an error); the room's other
    /// clients carry on.
    pub max_document_size: usize,
    /// How long a client has to send its HTTP request headers (the WebSocket upgrade
    /// included). A connection that has not sent them all by then is dropped.
    pub handshake_timeout: Duration,
    /// Bytes of one request's start line and headers. Larger requests get HTTP 431 and the
    /// connection is closed.
    pub max_header_bytes: usize,
    /// Browser origins (`scheme://host[:port]`) allowed to open a WebSocket, compared without
    /// regard to ASCII case. Empty allows every origin. A request with no `Origin` header
    /// (a native client) is always allowed; one from another origin is refused with HTTP 403.
    pub allowed_origins: Vec<String>,
    /// Reverse proxies in front of the server whose `X-Forwarded-For` names the client: a
    /// request from one of them counts against the address it appended last (for
    /// [`Limits::max_connections_per_ip`] and the loopback-only `/metrics`). Empty: the
    /// header is ignored, and every request is its socket's peer.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A connection costs about 10 KiB when idle: 10,000 stay under 100 MiB.
            max_connections: 10_000,
            // Every update in a room is relayed to each connection: 1,000 bounds that fan-out.
            max_connections_per_room: 1_000,
            // Enough for a household or an office behind one NAT with many tabs each.
            max_connections_per_ip: 100,
            exempt_loopback_from_ip_limit: true,
            // A person typing and moving a cursor sends tens of messages per second; a burst
            // of 2,000 covers a program that edits in many small transactions at once.
            messages_per_second: 200,
            message_burst: 2_000,
            // A person's edits are bytes per keystroke; pastes and initial syncs are covered
            // by the burst, which is at least the largest accepted message.
            bytes_per_second: 1024 * 1024,
            byte_burst: 16 * 1024 * 1024,
            // Far above any document people edit by hand, small enough that loading it,
            // encoding it for a joiner and compacting it stay quick.
            max_document_size: 64 * 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
            // The header limit of Node's HTTP server, which y-websocket clients already meet.
            max_header_bytes: 16 * 1024,
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
        }
    }
}
