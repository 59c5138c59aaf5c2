//! `cargo xtask bench cluster`: one load against 1, 2 and 3 `ycord` nodes sharing a throwaway
//! PostgreSQL and Redis, the clients of every room spread over the nodes; the table goes into
//! docs/benchmarks.md.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::Result;
use serde_json::Value;

use super::cluster_report::{self, NodesRun};
use super::report::{load_average, RunConditions};
use super::scenario;
use super::server_process::ServerProcess;
use crate::prereqs;
use crate::services::postgres::TestPostgres;
use crate::services::redis::TestRedis;
use crate::workspace::Workspace;

/// Node counts measured, in this order.
pub const NODE_COUNTS: [usize; 3] = [1, 2, 3];

/// Flags of `bench cluster`.
#[derive(Debug, Default, clap::Args)]
pub struct Options {
    /// 100 clients in 10 rooms, 200 updates/s for 3 s (checks the harness, not a result)
    #[arg(long = "quick")]
    pub is_quick: bool,
    /// Print the table instead of writing docs/benchmarks.md
    #[arg(long = "no-write")]
    pub is_dry: bool,
}

/// The load of every run, the same whatever the node count.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub clients: u32,
    pub rooms: u32,
    pub rate: u32,
    pub seconds: u32,
    pub warmup_seconds: u32,
}

impl Load {
    /// The load (1,000 clients, 100 rooms, 1,000 updates/s, 30 s), or a tenth-sized
    /// 3 s one with `is_quick`.
    pub fn new(is_quick: bool) -> Self {
        if is_quick {
            Load {
                clients: 100,
                rooms: 10,
                rate: 200,
                seconds: 3,
                warmup_seconds: 1,
            }
        } else {
            Load {
                clients: 1_000,
                rooms: 100,
                rate: 1_000,
                seconds: 30,
                warmup_seconds: 2,
            }
        }
    }

    fn args(&self) -> Vec<String> {
        [
            ("--mode", "updates".to_owned()),
            ("--clients", self.clients.to_string()),
            ("--rooms", self.rooms.to_string()),
            ("--rate", self.rate.to_string()),
            ("--seconds", self.seconds.to_string()),
            ("--warmup-seconds", self.warmup_seconds.to_string()),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value])
        .collect()
    }
}

/// Runs the load against each node count, then writes (or with `--no-write` prints) the
/// section; `Ok(true)` if every run produced a result.
pub fn run(options: &Options) -> Result<bool> {
    let workspace = Workspace::locate()?;
    prereqs::postgres::ensure_server(true)?;
    prereqs::redis::ensure_server(true)?;
    let work = super::build_release(&workspace, "bench-cluster")?;

    let load = Load::new(options.is_quick);
    let load_before = load_average();
    println!("\n==> PostgreSQL and Redis");
    // Declared before the nodes of each run, so they outlive them.
    let postgres = TestPostgres::start()?;
    let redis = TestRedis::start()?;
    let redis_pid = redis.pid();
    let runs: Vec<NodesRun> = NODE_COUNTS
        .into_iter()
        .map(|nodes| {
            println!("\n==> {nodes} node(s)");
            let services = Services {
                postgres_url: postgres.url(),
                redis_url: redis.url(),
                redis_pid,
            };
            let before = machine_cpu_ticks();
            let result = measure(&workspace, &work, &load, nodes, &services)
                .map_err(|err| format!("{err:#}"));
            let machine_busy_percent = busy_percent(before, machine_cpu_ticks());
            match &result {
                Ok(json) => println!("{json}"),
                Err(err) => println!("FAILED: {err}"),
            }
            NodesRun {
                nodes,
                result,
                machine_busy_percent,
            }
        })
        .collect();

    let conditions = RunConditions::now(load_before, options.is_quick);
    let section = cluster_report::render(&conditions, &load, &runs);
    super::publish(
        &workspace,
        &work,
        "cluster",
        &section,
        runs.iter().map(NodesRun::to_json).collect(),
        options.is_dry,
    )?;
    Ok(runs.iter().all(|run| run.result.is_ok()))
}

/// Where the nodes of every run find PostgreSQL and Redis.
struct Services {
    postgres_url: String,
    redis_url: String,
    redis_pid: u32,
}

/// Starts `nodes` nodes, runs the load across them and returns `ycord-load`'s report; the
/// nodes are stopped on return.
fn measure(
    workspace: &Workspace,
    work: &Path,
    load: &Load,
    nodes: usize,
    services: &Services,
) -> Result<Value> {
    // A schema and a Redis database of its own per run: no run sees an earlier one's rooms.
    let database_url = format!(
        "{}?options=-c%20search_path%3Dbench_cluster_{nodes}",
        services.postgres_url
    );
    let redis_url = format!("{}/{nodes}", services.redis_url);
    let mut servers = Vec::with_capacity(nodes);
    for node in 1..=nodes {
        let mut command = Command::new(workspace.release_binary("ycord"));
        command
            .args(["--host", "127.0.0.1", "--port", "0", "--durability", "sync"])
            .args(["--database-url", &database_url, "--redis-url", &redis_url])
            .env("RUST_LOG", "warn");
        let log = work.join(format!("{nodes}-nodes-node-{node}.log"));
        let label = format!("ycord node {node} of {nodes}");
        servers.push(ServerProcess::spawn(
            command,
            &label,
            "ycord listening on ",
            &log,
            None,
        )?);
    }
    let mut args = load.args();
    for server in &servers {
        args.extend(["--url".to_owned(), server.url.clone()]);
        args.extend(["--server-pid".to_owned(), server.pid().to_string()]);
    }
    args.extend(["--redis-pid".to_owned(), services.redis_pid.to_string()]);
    println!("$ ycord-load {}", args.join(" "));
    scenario::run_load(workspace, &args)
}

/// Busy and total clock ticks of all cores since boot, from the first line of `/proc/stat`.
fn machine_cpu_ticks() -> Option<(u64, u64)> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    busy_and_total(stat.lines().next()?)
}

/// Busy and total ticks of a `cpu  user nice system idle iowait irq softirq steal …` line.
fn busy_and_total(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    // Guest time is already counted in user time, so only the first eight fields add up.
    let ticks: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = ticks.iter().sum();
    let idle = ticks.get(3)? + ticks.get(4)?;
    Some((total - idle, total))
}

/// Share of all cores that was busy between two readings, in percent.
fn busy_percent(before: Option<(u64, u64)>, after: Option<(u64, u64)>) -> Option<f64> {
    let ((busy_0, total_0), (busy_1, total_1)) = (before?, after?);
    let total = total_1.checked_sub(total_0).filter(|&t| t > 0)?;
    Some(busy_1.saturating_sub(busy_0) as f64 * 100.0 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_busy_share_leaves_idle_and_iowait_out() {
        let before = busy_and_total("cpu  100 0 50 800 50 0 0 0 0 0").unwrap();
        assert_eq!(before, (150, 1_000));
        let after = busy_and_total("cpu  400 0 150 1300 150 0 0 0 20 0").unwrap();
        assert_eq!(busy_percent(Some(before), Some(after)), Some(40.0));
        assert_eq!(busy_and_total("cpu0 1 2 3 4 5 6 7 8"), None);
        assert_eq!(busy_percent(None, Some(after)), None);
    }

    #[test]
    fn quick_load_is_smaller_and_both_run_updates_mode() {
        let (full, quick) = (Load::new(false), Load::new(true));
        assert_eq!(
            (full.clients, full.rooms, full.rate, full.seconds),
            (1_000, 100, 1_000, 30)
        );
        assert_eq!(
            (quick.clients, quick.rooms, quick.rate, quick.seconds),
            (100, 10, 200, 3)
        );
        let args = full.args();
        assert_eq!(args[..2], ["--mode", "updates"]);
        assert!(args.windows(2).any(|w| w == ["--clients", "1000"]));
    }
}
