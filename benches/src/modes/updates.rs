//! `updates` mode: clients make text edits at a fixed total rate; connect every client, warm
//! up, measure, drain, and summarise relay latency and cost. With several `--url`s (the nodes
//! of a cluster) each room's clients are spread over the nodes, and deliveries between nodes
//! are summarised apart from those within one node.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout, timeout_at, Instant};

use crate::args::LoadArgs;
use crate::client::{Client, ClientStats, Command};
use crate::connect::{client_configs, tokens};
use crate::ledger::{Fanouts, RoomLedger};
use crate::proc_stat::{self, ProcSample, ProcTarget};
use crate::schedule::{run_paced, Pace};
use crate::stats::{round_to, Percentiles};

/// Longest wait for every client to connect and sync.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait after the last send for the deliveries still in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Commands a client can have queued; a full queue means the generator cannot keep up.
const COMMAND_QUEUE: usize = 256;

/// Everything a run measured; printed as one JSON object on stdout.
///
/// Counts cover the measured phase only; CPU times cover the measured phase plus the drain
/// that waits for its last deliveries.
#[derive(Debug, Clone, Serialize)]
pub struct UpdatesReport {
    /// Always `"updates"`.
    pub mode: &'static str,
    /// Nodes (`--url`s) the clients were spread over.
    pub nodes: usize,
    /// Clients connected.
    pub clients: usize,
    /// Rooms they were spread over.
    pub rooms: usize,
    /// Target updates per second over all clients.
    pub rate: u32,
    /// Length of the measured phase.
    pub seconds: u64,
    /// Time until every client was synced, in milliseconds.
    pub connect_ms: f64,
    /// Updates sent in the measured phase.
    pub sent: u64,
    /// Deliveries owed for them: one per other client of the sender's room.
    pub expected_deliveries: u64,
    /// Deliveries that arrived before the drain ended.
    pub delivered: u64,
    /// `expected_deliveries - delivered`.
    pub missing: u64,
    /// `delivered / seconds`.
    pub delivered_per_s: f64,
    /// Send-to-arrival latency of each delivery.
    pub per_delivery_ms: Percentiles,
    /// Send-to-arrival latency at the last other client of the room, per update.
    pub fanout_ms: Percentiles,
    /// Deliveries to clients on the sender's node.
    pub same_node: DeliveryGroup,
    /// Deliveries to clients on another node than the sender's (none with one `--url`).
    pub cross_node: DeliveryGroup,
    /// Server CPU time (user + system) during the measured phase and drain, summed over the
    /// `--server-pid`s.
    pub server_cpu_s: Option<f64>,
    /// Server peak resident set size (`VmHWM`) at the end, in KiB, summed over the
    /// `--server-pid`s.
    pub server_peak_rss_kb: Option<u64>,
    /// Each `--server-pid`'s share, in the order given.
    pub servers: Vec<ServerUse>,
    /// CPU time of `--redis-pid` over the same window as `server_cpu_s`.
    pub redis_cpu_s: Option<f64>,
    /// `redis_cpu_s` per delivery, in microseconds.
    pub redis_cpu_per_delivery_us: Option<f64>,
    /// The load generator's own CPU time over the same window.
    pub generator_cpu_s: f64,
    /// `server_cpu_s` per delivery, in microseconds.
    pub server_cpu_per_delivery_us: Option<f64>,
    /// Updates not sent because a client's command queue was full (the generator or that
    /// client fell behind); a run with any is not a valid measurement of the server.
    pub backlogged: u64,
    /// Clients that stopped before the end (closed or failed sockets).
    pub failed_clients: usize,
}

/// The deliveries of a run between one kind of sender and receiver (same node, other node).
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryGroup {
    /// Deliveries of measured updates that arrived.
    pub deliveries: u64,
    /// Send-to-arrival latency of each of them.
    pub per_delivery_ms: Percentiles,
    /// Send-to-arrival latency at the last receiver of the group, per update.
    pub fanout_ms: Percentiles,
}

/// What one server process used over the measured phase and drain.
#[derive(Debug, Clone, Serialize)]
pub struct ServerUse {
    /// Its `--server-pid`.
    pub pid: u32,
    /// CPU time (user + system).
    pub cpu_s: f64,
    /// Peak resident set size (`VmHWM`) at the end, in KiB.
    pub peak_rss_kb: Option<u64>,
}

/// CPU and memory readings over the measured phase and drain.
struct Usage {
    servers: Vec<ServerUse>,
    redis_cpu_s: Option<f64>,
    generator_cpu_s: f64,
}

/// Runs `updates` mode: the load described by `args` against the server and returns the report.
///
/// Progress goes to stderr. Every phase has a time limit, so the run ends by itself even if
/// the server stops answering.
///
/// # Errors
/// When the flags are invalid, the server PID cannot be sampled, or not every client
/// connects and syncs within 30 s.
pub async fn run(args: &LoadArgs) -> anyhow::Result<UpdatesReport> {
    let base_urls = args.validate()?;
    let ticks = proc_stat::ticks_per_second();
    sample_all(&args.server_pids, ticks).context("--server-pid: sampling the server")?;
    let redis = args.redis_pid.into_iter().collect::<Vec<_>>();
    sample_all(&redis, ticks).context("--redis-pid: sampling Redis")?;

    let ledgers: Vec<Arc<RoomLedger>> = (0..args.rooms)
        .map(|room| {
            let members = (room..args.clients)
                .step_by(args.rooms)
                .map(|index| (index, args.node_of(index)));
            Arc::new(RoomLedger::new(members))
        })
        .collect();
    let run_deadline = Instant::now()
        + CONNECT_TIMEOUT
        + Duration::from_secs(args.warmup_seconds + args.seconds)
        + DRAIN_TIMEOUT
        + Duration::from_secs(10);

    eprintln!(
        "ycord-load: connecting {} clients to {} in {} rooms",
        args.clients,
        base_urls.join(", "),
        args.rooms
    );
    let connect_start = Instant::now();
    let queued_edits = Arc::new(AtomicUsize::new(0));
    let (synced_tx, mut synced_rx) = mpsc::channel::<Result<(), String>>(args.clients);
    let mut commands = Vec::with_capacity(args.clients);
    let mut tasks: Vec<JoinHandle<ClientStats>> = Vec::with_capacity(args.clients);
    for config in client_configs(args, &base_urls, &tokens(args)?)? {
        let index = config.index;
        let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
        commands.push(command_tx);
        let ledger = Arc::clone(&ledgers[config.room]);
        let synced_tx = synced_tx.clone();
        let queued_edits = Arc::clone(&queued_edits);
        tasks.push(tokio::spawn(async move {
            match timeout(CONNECT_TIMEOUT, Client::connect(&config)).await {
                Ok(Ok(client)) => {
                    let _ = synced_tx.send(Ok(())).await;
                    client
                        .serve(command_rx, ledger, queued_edits, run_deadline)
                        .await
                }
                Ok(Err(err)) => {
                    let _ = synced_tx
                        .send(Err(format!("client {index}: {err:#}")))
                        .await;
                    ClientStats::default()
                }
                Err(_) => {
                    let _ = synced_tx
                        .send(Err(format!("client {index}: not synced in time")))
                        .await;
                    ClientStats::default()
                }
            }
        }));
    }
    drop(synced_tx);
    if let Err(err) = await_synced(&mut synced_rx, args.clients, connect_start).await {
        tasks.iter().for_each(JoinHandle::abort);
        return Err(err);
    }
    let connect_ms = connect_start.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "ycord-load: {} clients synced in {connect_ms:.1} ms",
        args.clients
    );

    let mut dispatcher = Dispatcher {
        commands: &commands,
        queued_edits: &queued_edits,
        rng: StdRng::seed_from_u64(args.seed ^ 0x5ced_u64),
        backlogged: 0,
        closed: 0,
    };
    if args.warmup_seconds > 0 {
        eprintln!("ycord-load: warming up for {} s", args.warmup_seconds);
        let total = u64::from(args.rate) * args.warmup_seconds;
        run_paced(Pace::new(args.rate), total, |_| dispatcher.dispatch(false)).await;
    }

    let servers_start = sample_all(&args.server_pids, ticks)?;
    let redis_start = sample_all(&redis, ticks)?;
    let own_start = proc_stat::sample(ProcTarget::Own, ticks)?;
    eprintln!(
        "ycord-load: measuring {} updates/s for {} s",
        args.rate, args.seconds
    );
    let total = u64::from(args.rate) * args.seconds;
    run_paced(Pace::new(args.rate), total, |n| {
        dispatcher.dispatch(true);
        if (n + 1) % u64::from(args.rate) == 0 {
            eprintln!(
                "ycord-load: {:>3} s, {} updates scheduled, {} in flight",
                (n + 1) / u64::from(args.rate),
                n + 1,
                in_flight(&ledgers)
            );
        }
    })
    .await;
    let (backlogged, closed) = (dispatcher.backlogged, dispatcher.closed);

    let drain_start = Instant::now();
    let is_drained = || queued_edits.load(Ordering::Acquire) == 0 && in_flight(&ledgers) == 0;
    while !is_drained() && drain_start.elapsed() < DRAIN_TIMEOUT {
        sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "ycord-load: drained in {:.0} ms, {} updates still in flight",
        drain_start.elapsed().as_secs_f64() * 1000.0,
        in_flight(&ledgers)
    );
    let servers_end = sample_all(&args.server_pids, ticks)?;
    let redis_end = sample_all(&redis, ticks)?;
    let own_end = proc_stat::sample(ProcTarget::Own, ticks)?;

    drop(commands);
    let mut all = Vec::with_capacity(tasks.len());
    for task in tasks {
        match timeout_at(run_deadline, task).await {
            Ok(Ok(stats)) => all.push(stats),
            Ok(Err(err)) => eprintln!("ycord-load: a client task failed: {err}"),
            Err(_) => eprintln!("ycord-load: a client did not stop by the deadline"),
        }
    }
    warn_about_anomalies(&all, backlogged, closed);

    let mut fanouts = Fanouts::default();
    for ledger in &ledgers {
        let room = ledger.take_fanouts();
        fanouts.all.extend(room.all);
        fanouts.same_node.extend(room.same_node);
        fanouts.cross_node.extend(room.cross_node);
    }
    let failed_clients = all.iter().filter(|s| s.error.is_some()).count();
    let servers = args
        .server_pids
        .iter()
        .zip(servers_start.iter().zip(&servers_end))
        .map(|(&pid, (start, end))| ServerUse {
            pid,
            cpu_s: end.cpu_seconds - start.cpu_seconds,
            peak_rss_kb: end.peak_rss_kb,
        })
        .collect();
    let usage = Usage {
        servers,
        redis_cpu_s: redis_start
            .first()
            .zip(redis_end.first())
            .map(|(start, end)| end.cpu_seconds - start.cpu_seconds),
        generator_cpu_s: own_end.cpu_seconds - own_start.cpu_seconds,
    };
    let mut report = summarise(args, connect_ms, &mut all, &ledgers, fanouts, usage);
    report.backlogged = backlogged;
    report.failed_clients = failed_clients;
    Ok(report)
}

/// Hands each scheduled update to a random client without waiting for it.
struct Dispatcher<'a> {
    commands: &'a [mpsc::Sender<Command>],
    queued_edits: &'a AtomicUsize,
    rng: StdRng,
    backlogged: u64,
    closed: u64,
}

impl Dispatcher<'_> {
    fn dispatch(&mut self, is_measured: bool) {
        let client = self.rng.random_range(0..self.commands.len());
        // Counted before queueing, so the client can never take it off first.
        self.queued_edits.fetch_add(1, Ordering::Relaxed);
        let result = self.commands[client].try_send(Command::Edit { is_measured });
        if result.is_err() {
            self.queued_edits.fetch_sub(1, Ordering::Relaxed);
        }
        match result {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.backlogged += 1,
            Err(mpsc::error::TrySendError::Closed(_)) => self.closed += 1,
        }
    }
}

async fn await_synced(
    synced: &mut mpsc::Receiver<Result<(), String>>,
    clients: usize,
    start: Instant,
) -> anyhow::Result<()> {
    let mut count = 0;
    let all_synced = async {
        while count < clients {
            match synced.recv().await {
                Some(Ok(())) => count += 1,
                Some(Err(err)) => bail!("{err}"),
                None => bail!("every client task ended before syncing"),
            }
        }
        Ok(())
    };
    match timeout_at(start + CONNECT_TIMEOUT, all_synced).await {
        Ok(result) => result,
        Err(_) => bail!(
            "only {count} of {clients} clients synced within {} s",
            CONNECT_TIMEOUT.as_secs()
        ),
    }
}

fn in_flight(ledgers: &[Arc<RoomLedger>]) -> usize {
    ledgers.iter().map(|l| l.in_flight()).sum()
}

fn sample_all(pids: &[u32], ticks: u64) -> anyhow::Result<Vec<ProcSample>> {
    pids.iter()
        .map(|&pid| proc_stat::sample(ProcTarget::Pid(pid), ticks))
        .collect()
}

fn warn_about_anomalies(all: &[ClientStats], backlogged: u64, closed: u64) {
    let sent: u64 = all.iter().map(|s| s.sent_total).sum();
    let echoes: u64 = all.iter().map(|s| s.echoes).sum();
    let unknown: u64 = all.iter().map(|s| s.unknown).sum();
    eprintln!("ycord-load: {echoes} of {sent} own updates echoed back, {unknown} unmatched frames");
    if backlogged > 0 || closed > 0 {
        eprintln!(
            "ycord-load: WARNING {backlogged} updates skipped on full client queues, \
             {closed} on stopped clients: the generator or those clients fell behind"
        );
    }
    let failed: Vec<_> = all.iter().filter(|s| s.error.is_some()).collect();
    if let Some(first) = failed.first() {
        eprintln!(
            "ycord-load: WARNING {} clients stopped early; client {}: {}",
            failed.len(),
            first.index,
            first.error.as_deref().unwrap_or_default()
        );
    }
}

fn summarise(
    args: &LoadArgs,
    connect_ms: f64,
    all: &mut [ClientStats],
    ledgers: &[Arc<RoomLedger>],
    mut fanouts: Fanouts,
    usage: Usage,
) -> UpdatesReport {
    let sent = all.iter().map(|s| s.sent_measured).sum();
    let expected_deliveries = all
        .iter()
        .map(|s| s.sent_measured * (ledgers[s.room].members() as u64 - 1))
        .sum();
    let delivered: u64 = all.iter().map(|s| s.delivered).sum();
    let mut same_node: Vec<u32> = all
        .iter_mut()
        .flat_map(|s| std::mem::take(&mut s.same_node_latencies_us))
        .collect();
    let mut cross_node: Vec<u32> = all
        .iter_mut()
        .flat_map(|s| std::mem::take(&mut s.cross_node_latencies_us))
        .collect();
    let mut latencies = [same_node.as_slice(), cross_node.as_slice()].concat();
    let per_delivery_us = |cpu_s: f64| round_to(cpu_s * 1e6 / delivered as f64, 3);
    let has_servers = !usage.servers.is_empty();
    let server_cpu_s: f64 = usage.servers.iter().map(|s| s.cpu_s).sum();
    let server_cpu_s = Some(server_cpu_s).filter(|_| has_servers);
    let server_peak_rss_kb = usage
        .servers
        .iter()
        .map(|s| s.peak_rss_kb)
        .sum::<Option<u64>>()
        .filter(|_| has_servers);
    UpdatesReport {
        mode: "updates",
        nodes: args.urls.len(),
        clients: args.clients,
        rooms: args.rooms,
        rate: args.rate,
        seconds: args.seconds,
        connect_ms: round_to(connect_ms, 3),
        sent,
        expected_deliveries,
        delivered,
        missing: expected_deliveries.saturating_sub(delivered),
        delivered_per_s: round_to(delivered as f64 / args.seconds as f64, 1),
        per_delivery_ms: Percentiles::from_micros(&mut latencies),
        fanout_ms: Percentiles::from_micros(&mut fanouts.all),
        same_node: DeliveryGroup {
            deliveries: same_node.len() as u64,
            per_delivery_ms: Percentiles::from_micros(&mut same_node),
            fanout_ms: Percentiles::from_micros(&mut fanouts.same_node),
        },
        cross_node: DeliveryGroup {
            deliveries: cross_node.len() as u64,
            per_delivery_ms: Percentiles::from_micros(&mut cross_node),
            fanout_ms: Percentiles::from_micros(&mut fanouts.cross_node),
        },
        server_cpu_s: server_cpu_s.map(|s| round_to(s, 2)),
        server_peak_rss_kb,
        servers: usage
            .servers
            .into_iter()
            .map(|s| ServerUse {
                cpu_s: round_to(s.cpu_s, 2),
                ..s
            })
            .collect(),
        redis_cpu_s: usage.redis_cpu_s.map(|s| round_to(s, 2)),
        redis_cpu_per_delivery_us: usage
            .redis_cpu_s
            .filter(|_| delivered > 0)
            .map(per_delivery_us),
        generator_cpu_s: round_to(usage.generator_cpu_s, 2),
        server_cpu_per_delivery_us: server_cpu_s.filter(|_| delivered > 0).map(per_delivery_us),
        backlogged: 0,
        failed_clients: 0,
    }
}
