//! Command-line flags of `ycord-load`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use url::{Host, Url};

/// What a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Clients make text edits at `--rate` updates/s in total; relay latency and cost.
    Updates,
    /// Clients connect, sync and stay silent for `--seconds`; server memory per connection.
    Idle,
    /// One client uploads a large document, then `--clients` clients join its room at once;
    /// time until all are synced and the server's peak memory.
    Join,
    /// Every client renews its awareness state once per `--renew-ms`; relay latency and cost.
    Presence,
}

/// What to measure and how hard to push it.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "ycord-load",
    about = "Measures relay latency and cost of a y-websocket server on loopback",
    version
)]
pub struct LoadArgs {
    /// Base WebSocket URL of the server; client `i` joins `{url}/room-{i % rooms}`.
    ///
    /// `updates` mode takes it repeated, once per node of a cluster: the clients of each room
    /// are dealt over the nodes in turn (member k of room r connects to node (r + k) mod n),
    /// and each delivery counts as same-node or cross-node.
    #[arg(long = "url", value_name = "URL", required = true)]
    pub urls: Vec<String>,
    /// Number of concurrent clients.
    #[arg(long, default_value_t = 200)]
    pub clients: usize,
    /// Number of rooms the clients are spread over.
    #[arg(long, default_value_t = 20)]
    pub rooms: usize,
    /// Total updates per second over all clients.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// Length of the measured phase in seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// PID of the server process, to sample its CPU time and peak RSS from `/proc`.
    ///
    /// `updates` mode takes it repeated, once per node: CPU time and RSS are summed over the
    /// processes and reported for each too.
    #[arg(long = "server-pid", value_name = "PID")]
    pub server_pids: Vec<u32>,
    /// `updates` mode: PID of the Redis server a cluster's nodes share; its CPU time over the
    /// measured window is reported apart from the nodes'.
    #[arg(long, value_name = "PID")]
    pub redis_pid: Option<u32>,
    /// Seconds of unmeasured load before the measured phase.
    #[arg(long, default_value_t = 1)]
    pub warmup_seconds: u64,
    /// Seed for the choice of client per update and for edit positions and strings.
    ///
    /// Yjs client ids are always fresh random values, so repeated runs against one server
    /// never reuse an id the server's rooms already hold.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// What to measure.
    #[arg(long, value_enum, default_value_t = Mode::Updates)]
    pub mode: Mode,
    /// `join` mode: bytes of text in the uploaded document.
    #[arg(long, default_value_t = 1_000_000)]
    pub doc_bytes: usize,
    /// `join` mode: number of edits (at random positions) that make up that text.
    #[arg(long, default_value_t = 20_000)]
    pub doc_edits: usize,
    /// `join` mode: number of entries of the document's map.
    #[arg(long, default_value_t = 10_000)]
    pub doc_entries: usize,
    /// `presence` mode: interval between one client's awareness renewals, in milliseconds.
    #[arg(long, default_value_t = 1_000)]
    pub renew_ms: u64,
    /// Handshakes in progress at once while connecting (a burst larger than the server's
    /// listen backlog would measure SYN retries rather than the server). `join` mode
    /// connects all joiners at once regardless.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,
    /// Access token every client sends as `?token=` on its URL, as y-websocket's `params`
    /// option does (for example one printed by `ycord token --room 'room-*'`).
    #[arg(long, conflicts_with = "token_secret_file")]
    pub token: Option<String>,
    /// HS256 secret file (the server's `--auth-secret-file`) to mint every client a token of
    /// its own, for exactly its room, sent as `?token=`. Minted before the clock starts.
    #[arg(long, value_name = "FILE")]
    pub token_secret_file: Option<PathBuf>,
}

impl LoadArgs {
    /// Checks the flags against each other and returns the base URLs without a trailing `/`.
    ///
    /// # Errors
    /// When a count is zero, there are more rooms than clients, a URL is not a `ws://` URL on
    /// a loopback host (this tool must never load a remote machine), or a mode other than
    /// `updates` is given several URLs or server PIDs.
    pub fn validate(&self) -> anyhow::Result<Vec<String>> {
        if self.clients == 0 || self.rooms == 0 || self.rate == 0 || self.seconds == 0 {
            bail!("--clients, --rooms, --rate and --seconds must all be at least 1");
        }
        if self.renew_ms == 0 || self.connect_concurrency == 0 || self.doc_edits == 0 {
            bail!("--renew-ms, --connect-concurrency and --doc-edits must be at least 1");
        }
        if self.rooms > self.clients {
            bail!(
                "--rooms {} is more than --clients {}: every room needs a client",
                self.rooms,
                self.clients
            );
        }
        let is_cluster = self.urls.len() > 1 || self.server_pids.len() > 1;
        if self.mode != Mode::Updates && (is_cluster || self.redis_pid.is_some()) {
            bail!("several --url or --server-pid, and --redis-pid, are for --mode updates only");
        }
        self.urls.iter().map(|url| loopback_ws_url(url)).collect()
    }

    /// The one `--server-pid` of a single-server mode (`validate` refuses more).
    pub fn server_pid(&self) -> Option<u32> {
        self.server_pids.first().copied()
    }

    /// Room that client `index` joins.
    pub fn room_of(&self, index: usize) -> usize {
        index % self.rooms
    }

    /// Number of clients in `room`.
    pub fn members_of(&self, room: usize) -> usize {
        self.clients / self.rooms + usize::from(room < self.clients % self.rooms)
    }

    /// Node (position in `--url`) that client `index` connects to.
    ///
    /// Client `index` is member `index / rooms` of its room; members are dealt over the nodes
    /// in turn, starting one node further for each room. So every room with at least as many
    /// clients as nodes has clients on every node, and the nodes get even shares of all the
    /// clients. (Plain `index % nodes` would put every client of a room on one node whenever
    /// the room count is a multiple of the node count.)
    pub fn node_of(&self, index: usize) -> usize {
        (self.room_of(index) + index / self.rooms) % self.urls.len().max(1)
    }
}

/// `url` without a trailing `/`, if it is a `ws://` URL on a loopback host.
fn loopback_ws_url(url: &str) -> anyhow::Result<String> {
    let parsed = Url::parse(url).with_context(|| format!("--url {url:?}"))?;
    if parsed.scheme() != "ws" {
        bail!("--url must start with ws:// (got {})", parsed.scheme());
    }
    let is_loopback = match parsed.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => false,
    };
    if !is_loopback {
        bail!("--url must point at a loopback address such as ws://127.0.0.1:PORT");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn args(url: &str, clients: usize, rooms: usize) -> LoadArgs {
        cluster_args(&[url], clients, rooms)
    }

    fn cluster_args(urls: &[&str], clients: usize, rooms: usize) -> LoadArgs {
        let mut all = vec!["ycord-load".to_owned()];
        for url in urls {
            all.extend(["--url".to_owned(), (*url).to_owned()]);
        }
        all.extend([
            "--clients".to_owned(),
            clients.to_string(),
            "--rooms".to_owned(),
            rooms.to_string(),
        ]);
        LoadArgs::parse_from(all)
    }

    #[test]
    fn members_of_matches_room_of() {
        let a = args("ws://127.0.0.1:1", 23, 5);
        for room in 0..5 {
            let counted = (0..23).filter(|&i| a.room_of(i) == room).count();
            assert_eq!(a.members_of(room), counted);
        }
    }

    #[test]
    fn only_loopback_ws_urls_are_accepted() {
        assert_eq!(
            args("ws://127.0.0.1:9/", 2, 1).validate().unwrap(),
            ["ws://127.0.0.1:9"]
        );
        assert!(args("ws://localhost:9", 2, 1).validate().is_ok());
        assert!(args("ws://[::1]:9", 2, 1).validate().is_ok());
        assert!(args("ws://10.0.0.1:9", 2, 1).validate().is_err());
        assert!(args("wss://127.0.0.1:9", 2, 1).validate().is_err());
        assert!(args("ws://127.0.0.1:9", 1, 2).validate().is_err());
    }

    #[test]
    fn every_url_is_checked_and_kept_in_order() {
        let urls = ["ws://127.0.0.1:1/", "ws://127.0.0.1:2"];
        assert_eq!(
            cluster_args(&urls, 4, 2).validate().unwrap(),
            ["ws://127.0.0.1:1", "ws://127.0.0.1:2"]
        );
        let remote = ["ws://127.0.0.1:1", "ws://10.0.0.1:2"];
        assert!(cluster_args(&remote, 4, 2).validate().is_err());
    }

    #[test]
    fn several_urls_are_for_updates_mode_only() {
        let mut idle = cluster_args(&["ws://127.0.0.1:1", "ws://127.0.0.1:2"], 4, 2);
        idle.mode = Mode::Idle;
        assert!(idle.validate().is_err());
        idle.urls.pop();
        assert!(idle.validate().is_ok());
    }

    #[test]
    fn every_room_has_clients_on_every_node_and_nodes_get_even_shares() {
        // 100 rooms is a multiple of 2 nodes: `index % nodes` would keep rooms on one node.
        for nodes in 1..=3 {
            let urls: Vec<String> = (0..nodes).map(|n| format!("ws://127.0.0.1:{n}")).collect();
            let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
            let a = cluster_args(&urls, 1_000, 100);
            for room in 0..100 {
                let on_nodes: HashSet<usize> = (0..1_000)
                    .filter(|&i| a.room_of(i) == room)
                    .map(|i| a.node_of(i))
                    .collect();
                assert_eq!(on_nodes.len(), nodes, "room {room} on {nodes} nodes");
            }
            let mut shares = vec![0; nodes];
            (0..1_000).for_each(|i| shares[a.node_of(i)] += 1);
            let (least, most) = (shares.iter().min(), shares.iter().max());
            assert!(most.unwrap() - least.unwrap() <= 1, "{shares:?}");
        }
    }
}
