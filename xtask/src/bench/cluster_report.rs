//! The Markdown section `bench cluster` writes: conditions, one row per node count, the
//! target, and what a deployment over several machines adds.

use std::fmt::Write;

use serde_json::{json, Value};

use super::cluster::Load;
use super::report::{fmt, num, verdict, RunConditions};

/// Cross-node p99 may be at most this many times the same-node p99.
pub const CROSS_NODE_P99_LIMIT: f64 = 2.0;

/// The load run against one node count.
pub struct NodesRun {
    pub nodes: usize,
    /// `ycord-load`'s report, or why there is none.
    pub result: Result<Value, String>,
    /// Share of all the machine's cores busy during the run (every process, this run's and
    /// any other), in percent.
    pub machine_busy_percent: Option<f64>,
}

impl NodesRun {
    pub fn to_json(&self) -> Value {
        json!({
            "nodes": self.nodes,
            "machine_busy_percent": self.machine_busy_percent,
            "report": self.result.as_ref().ok(),
            "error": self.result.as_ref().err(),
        })
    }
}

/// Cross-node p99 over same-node p99 of a report, when it has both.
fn p99_ratio(report: &Value) -> Option<f64> {
    let cross = num(report, &["cross_node", "per_delivery_ms", "p99"])?;
    let same = num(report, &["same_node", "per_delivery_ms", "p99"])?;
    (same > 0.0).then(|| cross / same)
}

/// Redis CPU time over the measured seconds, in percent of one core (Redis runs commands on
/// one thread, so 100 % is its ceiling).
fn redis_busy_percent(report: &Value) -> Option<f64> {
    let seconds = num(report, &["seconds"])?;
    Some(num(report, &["redis_cpu_s"])? / seconds * 100.0)
}

/// `1000000` as `1,000,000`.
fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn count(report: &Value, path: &[&str]) -> String {
    num(report, path).map_or_else(|| "—".into(), |n| grouped(n as u64))
}

fn p50_p99(report: &Value, group: &str) -> String {
    let at = |p| fmt(num(report, &[group, "per_delivery_ms", p]), 2);
    format!("{} / {}", at("p50"), at("p99"))
}

fn cpu_per_node(report: &Value) -> String {
    report["servers"].as_array().map_or_else(
        || "—".into(),
        |servers| {
            servers
                .iter()
                .map(|server| fmt(num(server, &["cpu_s"]), 1))
                .collect::<Vec<_>>()
                .join(" / ")
        },
    )
}

pub fn render(conditions: &RunConditions, load: &Load, runs: &[NodesRun]) -> String {
    let mut out = String::new();
    let shape = format!(
        "{} clients in {} rooms, {} updates/s",
        grouped(load.clients.into()),
        grouped(load.rooms.into()),
        grouped(load.rate.into()),
    );
    let _ = writeln!(
        out,
        "## Several nodes (`cargo xtask bench cluster`)\n\n\
         Generated on {} by `cargo xtask bench cluster`{}. Machine: {}. Load average \
         (1/5/15 min) before the run: {}, after: {}.\n\n\
         One load, {shape} for {} s after {} s of warmup, against 1, 2 and 3 `ycord` nodes \
         (`ycord --port 0 --durability sync --database-url … --redis-url …`, release build) \
         sharing one throwaway PostgreSQL server (a fresh schema per run) and one Redis server \
         (a database of its own per run). `ycord-load` gets every node's URL: each room's \
         clients are dealt over the nodes in turn, so with 2 or 3 nodes every room has clients \
         on every node and each node serves an even share of the clients. A delivery is \
         *same-node* when sender and receiver are connected to one node (the node relays it \
         directly) and *cross-node* otherwise (the sender's node stores the update, appends it \
         to the room's Redis stream, and the receiver's node reads it from there). Latency is \
         from the send to the arrival of each delivery. CPU is user + system time of the nodes \
         (summed; each node's share in its own column) and of `redis-server` over the measured \
         phase and its drain, divided by the deliveries. With one node, cluster mode still appends every \
         update to its room's stream and reads the stream back (skipping its own entries): \
         that is the Redis CPU of the first row. PostgreSQL, Redis, every node and the \
         generator all share the same two cores, so more nodes do not mean more capacity \
         here: the runs show what carrying updates between nodes costs, not how far it scales. \
         \"Machine busy\" is the share of all cores in use over the whole run (connect and \
         warmup included, PostgreSQL and anything else on the machine too): near 100 %, \
         updates queue for a core and the p99s measure that queue. \
         Raw reports: `target/bench-cluster/results.json`.\n",
        conditions.date,
        if conditions.is_quick {
            " --quick (a harness check, not a measurement)"
        } else {
            ""
        },
        conditions.machine,
        conditions.load_before,
        conditions.load_after,
        load.seconds,
        load.warmup_seconds,
    );
    out.push_str(
        "| nodes | deliveries (cross-node) | same-node p50 / p99 (ms) | cross-node p50 / p99 (ms) \
         | cross / same p99 | server CPU per delivery, all nodes (µs) | CPU per node (s) \
         | Redis CPU per delivery (µs) | Redis busy (% of a core) | machine busy (% of all cores) \
         | missing | skipped |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for run in runs {
        let Ok(report) = &run.result else {
            let _ = writeln!(out, "| {} | failed | | | | | | | | | | |", run.nodes);
            continue;
        };
        let _ = writeln!(
            out,
            "| {} | {} ({}) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            run.nodes,
            count(report, &["delivered"]),
            count(report, &["cross_node", "deliveries"]),
            p50_p99(report, "same_node"),
            p50_p99(report, "cross_node"),
            fmt(p99_ratio(report), 2),
            fmt(num(report, &["server_cpu_per_delivery_us"]), 1),
            cpu_per_node(report),
            fmt(num(report, &["redis_cpu_per_delivery_us"]), 1),
            fmt(redis_busy_percent(report), 0),
            fmt(run.machine_busy_percent, 0),
            count(report, &["missing"]),
            count(report, &["backlogged"]),
        );
    }
    for run in runs {
        if let Err(err) = &run.result {
            let _ = writeln!(out, "\n{} node(s) failed: `{err}`", run.nodes);
        }
    }

    let multi_node: Vec<&NodesRun> = runs.iter().filter(|run| run.nodes > 1).collect();
    let reports: Vec<(usize, &Value)> = multi_node
        .iter()
        .filter_map(|run| run.result.as_ref().ok().map(|report| (run.nodes, report)))
        .collect();
    // A failed run is no measurement: the verdict needs every multi-node run.
    let is_met = (!reports.is_empty() && reports.len() == multi_node.len()).then(|| {
        reports.iter().all(|(_, report)| {
            p99_ratio(report).is_some_and(|ratio| ratio <= CROSS_NODE_P99_LIMIT)
                && num(report, &["missing"]) == Some(0.0)
        })
    });
    let ratios: Vec<String> = reports
        .iter()
        .map(|(nodes, report)| {
            format!(
                "{} with {nodes} nodes ({} missing)",
                fmt(p99_ratio(report), 2),
                count(report, &["missing"])
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "\n**Target:** cross-node p99 ≤ {CROSS_NODE_P99_LIMIT}× same-node p99 at 1,000 clients \
         / 100 rooms / 1,000 updates/s, no update missing: {}{} — cross / same p99 {}.",
        verdict(is_met),
        if conditions.is_quick {
            " (quick run, not the target's load)"
        } else {
            ""
        },
        if ratios.is_empty() {
            "not measured".to_owned()
        } else {
            ratios.join(", ")
        },
    );

    out.push_str(
        "\n### On several machines\n\n\
         Here every hop is loopback. On separate machines a same-node delivery costs what it \
         costs here, and each cross-node delivery adds the node → Redis (`XADD`) and Redis → \
         node (`XREAD`) hops: two network round trips, about 0.1–0.5 ms on a LAN, on top of the \
         cross-node figures above. Capacity grows with the number of nodes only as far as rooms \
         spread over them: rooms are not sharded, so every node with a client in a room loads \
         that room's document and reads its stream, and a room whose clients sit on all N \
         nodes is applied N times. A deployment scales with the rooms per node (put a room's \
         clients on few nodes, for instance by routing on the room name) and is bounded by \
         Redis, which runs every room's `XADD` and `XREAD` on one thread: \"Redis busy\" above \
         grows with the update rate and with the number of nodes reading each room's stream, \
         and must stay well under 100 %.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(same_p99: f64, cross_p99: Option<f64>, missing: u64) -> Value {
        json!({
            "delivered": 270_000,
            "missing": missing,
            "backlogged": 0,
            "same_node": {"deliveries": 90_000, "per_delivery_ms": {"p50": 0.5, "p99": same_p99}},
            "cross_node": {"deliveries": 180_000, "per_delivery_ms": {"p50": 1.0, "p99": cross_p99}},
            "server_cpu_per_delivery_us": 40.0,
            "servers": [{"cpu_s": 3.24}, {"cpu_s": 3.0}],
            "redis_cpu_per_delivery_us": 2.5,
            "redis_cpu_s": 6.0,
            "seconds": 30,
        })
    }

    fn conditions() -> RunConditions {
        RunConditions {
            date: "today".into(),
            machine: "2 cores".into(),
            load_before: "0".into(),
            load_after: "0".into(),
            is_quick: false,
        }
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn rows_show_both_groups_and_the_target_is_met_within_twice() {
        let runs = [
            NodesRun {
                nodes: 1,
                result: Ok(report(1.0, None, 0)),
                machine_busy_percent: None,
            },
            NodesRun {
                nodes: 2,
                result: Ok(report(1.0, Some(1.8), 0)),
                machine_busy_percent: Some(61.2),
            },
        ];
        let text = render(&conditions(), &Load::new(false), &runs);
        assert!(text.contains(
            "| 2 | 270,000 (180,000) | 0.50 / 1.00 | 1.00 / 1.80 | 1.80 | 40.0 | 3.2 / 3.0 | 2.5 | 20 | 61 | 0 | 0 |"
        ), "{text}");
        assert!(text.contains("| 1 | 270,000 (180,000) | 0.50 / 1.00 | 1.00 / — | — |"));
        assert!(text.contains("**met**"), "{text}");
    }

    #[test]
    fn a_slow_cross_node_p99_a_missing_update_or_a_failed_run_misses_the_target() {
        let run = |nodes, result| NodesRun {
            nodes,
            result,
            machine_busy_percent: None,
        };
        let one = || run(1, Ok(report(1.0, None, 0)));
        for runs in [
            [one(), run(2, Ok(report(1.0, Some(2.5), 0)))],
            [one(), run(2, Ok(report(1.0, Some(1.5), 3)))],
        ] {
            let text = render(&conditions(), &Load::new(false), &runs);
            assert!(text.contains("**missed**"), "{text}");
        }
        let failed = [one(), run(2, Err("no node".into()))];
        let text = render(&conditions(), &Load::new(false), &failed);
        assert!(text.contains("**not measured**"), "{text}");
        assert!(text.contains("2 node(s) failed: `no node`"), "{text}");
    }
}
