//! Server settings.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::AuthConfig;
use crate::limits::Limits;

/// Everything a [`crate::Server`] can be told. `Config::default()` listens where the Node
/// y-websocket server does (127.0.0.1:1234) and keeps documents in memory; the `ycord`
/// binary defaults to the embedded store under `./ycord-data`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub host: IpAddr,
    /// Port to listen on; `0` picks a free one (see [`crate::Server::local_addr`]).
    pub port: u16,
    /// Largest accepted WebSocket message (and HTTP update body) in bytes; a larger message
    /// closes its connection (1009).
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
    /// Where documents are kept.
    pub storage: Storage,
    /// When an update counts as stored.
    pub durability: Durability,
    /// When a room's stored log is merged into one snapshot.
    pub compaction: Compaction,
    /// A directory whose files are served to plain HTTP GETs (a web app next to its relay, on
    /// one port); `None` serves no files. WebSocket upgrades always go to the relay.
    pub static_dir: Option<PathBuf>,
    /// What one client, one address or one room may take of the server.
    pub limits: Limits,
    /// Token checks; `None` runs an open server where anyone who reaches the port may read,
    /// write and delete every room.
    pub auth: Option<AuthConfig>,
    /// Who may read `/metrics`.
    pub metrics_access: MetricsAccess,
    /// Serve `GET /dev/token?room=R&access=rw|ro`, which mints an HS256 token valid for an
    /// hour for anyone who asks: a development convenience for demos, never for a server
    /// others can reach. Needs [`AuthConfig::secret`].
    pub dev_token_endpoint: bool,
    /// Join a cluster of nodes sharing the rooms; `None` serves alone. Needs a store the
    /// nodes share ([`Storage::Postgres`]).
    pub cluster: Option<ClusterConfig>,
}

/// How a node joins a cluster: several ycord processes behind a load balancer serving the
/// same rooms, each update stored in the shared PostgreSQL database and carried to the
/// other nodes on the room's Redis stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `redis://host:port[/db]` (a password in the URL is never logged).
    pub redis_url: String,
    /// Entries each room's stream keeps (`XADD … MAXLEN ~ n`: between n and n + 100).
    /// Enough to bridge the time between a node storing an update and the others reading it;
    /// a node that falls further behind reloads the room from the store.
    pub stream_max_len: usize,
    /// Each publish renews the stream's expiry to this, so an idle room's stream goes.
    pub stream_ttl: Duration,
    /// A node renews its heartbeat key every third of this; the others treat a node whose
    /// key expired as dead and drop its clients' awareness states.
    pub heartbeat_ttl: Duration,
}

impl ClusterConfig {
    /// A cluster over the Redis at `redis_url` with the default retention (10,000 entries,
    /// one hour) and heartbeat (3 s).
    pub fn new(redis_url: impl Into<String>) -> Self {
        ClusterConfig {
            redis_url: redis_url.into(),
            stream_max_len: 10_000,
            stream_ttl: Duration::from_secs(60 * 60),
            heartbeat_ttl: Duration::from_secs(3),
        }
    }
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricsAccess {
    /// Clients connecting from a loopback address only (a Prometheus on the same host, or a
    /// sidecar); others get 403.
    #[default]
    Loopback,
    /// Anyone with an admin token (`"room": "*"`, as `Authorization: Bearer`), from anywhere.
    AdminToken,
    /// Anyone.
    Open,
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
            storage: Storage::Memory,
            durability: Durability::Sync,
            compaction: Compaction::default(),
            static_dir: None,
            limits: Limits::default(),
            auth: None,
            metrics_access: MetricsAccess::default(),
            dev_token_endpoint: false,
            cluster: None,
        }
    }
}

/// Where documents are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum Storage {
    /// In memory only: lost when the process ends (`--ephemeral`).
    Memory,
    /// The embedded store: one SQLite database file in this directory (`--data-dir`).
    Embedded(PathBuf),
    /// A PostgreSQL database (`--database-url postgres://…`).
    #[cfg(feature = "postgres")]
    Postgres(String),
}

impl Storage {
    /// The file name of the embedded store inside its directory (`--data-dir`).
    pub const EMBEDDED_FILE: &'static str = "ycord.db";
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for Storage {
    /// A description safe for logs: a database URL may carry a password, so it is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Memory => f.write_str("memory (ephemeral)"),
            Storage::Embedded(dir) => write!(f, "embedded ({})", dir.display()),
            #[cfg(feature = "postgres")]
            Storage::Postgres(_) => f.write_str("postgresql"),
        }
    }
}

/// When an update counts as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// An update is echoed to anyone, the sender included, only once it is durable. Clients
    /// treat the echo as the server having the update, so nothing echoed is ever lost.
    Sync,
    /// Updates are echoed at once and committed in batches every `interval`: a crash can lose
    /// what was echoed during the last interval.
    Batched {
        /// How long appends are gathered before each commit.
        interval: Duration,
    },
}

impl Durability {
    /// Whether effects wait for their updates to be durable.
    pub fn is_sync(&self) -> bool {
        matches!(self, Durability::Sync)
    }

    /// How long the group-commit task gathers appends before committing.
    pub(crate) fn linger(&self) -> std::time::Duration {
        match self {
            Durability::Sync => std::time::Duration::ZERO,
            Durability::Batched { interval } => *interval,
        }
    }
}

/// When a room's stored log is merged into one snapshot (in the background).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// Compact once a room has this many stored updates.
    pub max_updates: u64,
    /// Compact once a room's stored updates take this many bytes.
    pub max_bytes: u64,
}

impl Default for Compaction {
    fn default() -> Self {
        Compaction {
            max_updates: 1_000,
            max_bytes: 4 * 1024 * 1024,
        }
    }
}
