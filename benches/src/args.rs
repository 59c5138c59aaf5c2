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
    #[arg(long)]
    pub url: String,
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
    #[arg(long)]
    pub server_pid: Option<u32>,
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
    /// Checks the flags against each other and returns the base URL without a trailing `/`.
    ///
    /// # Errors
    /// When a count is zero, there are more rooms than clients, or the URL is not a `ws://`
    /// URL on a loopback host (this tool must never load a remote machine).
    pub fn validate(&self) -> anyhow::Result<String> {
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
        let url = Url::parse(&self.url).with_context(|| format!("--url {:?}", self.url))?;
        if url.scheme() != "ws" {
            bail!("--url must start with ws:// (got {})", url.scheme());
        }
        let is_loopback = match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            Some(Host::Domain(name)) => name == "localhost",
            None => false,
        };
        if !is_loopback {
            bail!("--url must point at a loopback address such as ws://127.0.0.1:PORT");
        }
        Ok(self.url.trim_end_matches('/').to_owned())
    }

    /// Room that client `index` joins.
    pub fn room_of(&self, index: usize) -> usize {
        index % self.rooms
    }

    /// Number of clients in `room`.
    pub fn members_of(&self, room: usize) -> usize {
        self.clients / self.rooms + usize::from(room < self.clients % self.rooms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: &str, clients: usize, rooms: usize) -> LoadArgs {
        LoadArgs::parse_from([
            "ycord-load",
            "--url",
            url,
            "--clients",
            &clients.to_string(),
            "--rooms",
            &rooms.to_string(),
        ])
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
            "ws://127.0.0.1:9"
        );
        assert!(args("ws://localhost:9", 2, 1).validate().is_ok());
        assert!(args("ws://[::1]:9", 2, 1).validate().is_ok());
        assert!(args("ws://10.0.0.1:9", 2, 1).validate().is_err());
        assert!(args("wss://127.0.0.1:9", 2, 1).validate().is_err());
        assert!(args("ws://127.0.0.1:9", 1, 2).validate().is_err());
    }
}
