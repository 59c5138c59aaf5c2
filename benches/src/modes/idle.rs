//! `idle` mode: many connected clients that send nothing, to weigh a connection in the server.

use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use tokio::time::{sleep, Instant};

use crate::args::LoadArgs;
use crate::connect::{check_open_file_limit, client_configs, connect_all, tokens};
use crate::proc_stat::{self, ProcTarget};
use crate::stats::{round_to, Percentiles};

/// Longest wait for every client to connect and sync.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// What an `idle` run measured.
#[derive(Debug, Clone, Serialize)]
pub struct IdleReport {
    /// Always `"idle"`.
    pub mode: &'static str,
    /// Clients connected.
    pub clients: usize,
    /// Rooms they were spread over.
    pub rooms: usize,
    /// Seconds the connections were held open before the memory reading.
    pub seconds: u64,
    /// Which token each client sent as `?token=`: `"none"`, `"fixed"` (`--token`) or
    /// `"minted"` (one per client, `--token-secret-file`).
    pub tokens: &'static str,
    /// Time until every client was synced, in milliseconds.
    pub connect_ms: f64,
    /// One client's handshake, from its TCP connect to the server's step2 (the upgrade, the
    /// token check and the sync), in milliseconds; `--connect-concurrency` handshakes run at
    /// once.
    pub handshake_ms: Percentiles,
    /// Server resident memory before the first connection, in KiB.
    pub server_rss_before_kb: u64,
    /// Server resident memory with every client connected and idle, in KiB.
    pub server_rss_connected_kb: u64,
    /// `(connected - before) / clients`, in KiB: what one idle connection (and its share of
    /// its room) costs.
    pub server_rss_per_connection_kb: f64,
    /// Server peak resident memory (`VmHWM`) at the end, in KiB.
    pub server_peak_rss_kb: Option<u64>,
    /// Server CPU time while the clients connected and synced: what accepting a connection
    /// costs, and steadier than `connect_ms` on a machine that runs other work.
    pub server_cpu_connect_s: f64,
    /// Server CPU time while the connections were idle.
    pub server_cpu_idle_s: f64,
    /// The generator's CPU time for the whole run.
    pub generator_cpu_s: f64,
}

/// Connects `--clients` clients, holds them idle for `--seconds`, and reads the server's
/// memory before and after.
///
/// # Errors
/// When the flags are invalid, `--server-pid` is missing or unreadable, or not every client
/// syncs within 60 s.
pub async fn run(args: &LoadArgs) -> anyhow::Result<IdleReport> {
    let base_urls = args.validate()?;
    check_open_file_limit(args.clients)?;
    let ticks = proc_stat::ticks_per_second();
    let server = ProcTarget::Pid(args.server_pid().context("idle mode needs --server-pid")?);
    let tokens = tokens(args)?;
    let configs = client_configs(args, &base_urls, &tokens)?;
    let token_kind = tokens.kind();
    let own_start = proc_stat::sample(ProcTarget::Own, ticks)?;
    let before = proc_stat::sample(server, ticks)?;

    eprintln!(
        "ycord-load: connecting {} idle clients (tokens: {token_kind})",
        args.clients
    );
    let start = Instant::now();
    let clients = connect_all(configs, args.connect_concurrency, CONNECT_TIMEOUT).await?;
    let connect_ms = start.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "ycord-load: {} clients synced in {connect_ms:.0} ms; idle for {} s",
        clients.len(),
        args.seconds
    );
    let idle_start = proc_stat::sample(server, ticks)?;
    sleep(Duration::from_secs(args.seconds)).await;
    let connected = proc_stat::sample(server, ticks)?;
    let own_end = proc_stat::sample(ProcTarget::Own, ticks)?;
    let mut handshake_us: Vec<u32> = clients
        .iter()
        .map(|c| u32::try_from(c.handshake.as_micros()).unwrap_or(u32::MAX))
        .collect();
    drop(clients);

    let rss_before = before.rss_kb.context("server VmRSS")?;
    let rss_connected = connected.rss_kb.context("server VmRSS")?;
    Ok(IdleReport {
        mode: "idle",
        clients: args.clients,
        rooms: args.rooms,
        seconds: args.seconds,
        tokens: token_kind,
        connect_ms: round_to(connect_ms, 1),
        handshake_ms: Percentiles::from_micros(&mut handshake_us),
        server_rss_before_kb: rss_before,
        server_rss_connected_kb: rss_connected,
        server_rss_per_connection_kb: round_to(
            rss_connected.saturating_sub(rss_before) as f64 / args.clients as f64,
            2,
        ),
        server_peak_rss_kb: connected.peak_rss_kb,
        server_cpu_connect_s: round_to(idle_start.cpu_seconds - before.cpu_seconds, 2),
        server_cpu_idle_s: round_to(connected.cpu_seconds - idle_start.cpu_seconds, 2),
        generator_cpu_s: round_to(own_end.cpu_seconds - own_start.cpu_seconds, 2),
    })
}
