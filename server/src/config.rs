//! Server settings.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// Everything a [`crate::Server`] can be told; `Config::default()` matches the Node
/// y-websocket server (127.0.0.1:1234) plus ycord's limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub host: IpAddr,
    /// Port to listen on; `0` picks a free one (see [`crate::Server::local_addr`]).
    pub port: u16,
    /// Largest accepted WebSocket message in bytes; a larger one closes its connection (1009).
    pub max_message_size: usize,
    /// Frames queued for one connection before it counts as a slow consumer and is closed.
    pub send_queue: usize,
    /// Interval between WebSocket pings; a connection that has not answered the previous
    /// ping by the next one is dropped.
    pub ping_interval: Duration,
    /// How long a room stays loaded after its last connection left.
    pub room_grace: Duration,
    /// How long one write to a socket may take before the client counts as not reading.
    pub write_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 1234,
            max_message_size: 16 * 1024 * 1024,
            send_queue: 1024,
            ping_interval: Duration::from_secs(30),
            room_grace: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
        }
    }
}
