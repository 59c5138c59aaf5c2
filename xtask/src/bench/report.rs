//! The Markdown section `bench compare` writes: conditions, one table per scenario, targets.

use std::fmt::Write;
use std::fs;

use serde_json::{json, Value};

use super::scenario::{RAMP_P99_LIMIT_MS, RAMP_RATES};
use super::server_process::ServerKind;
use crate::process;

/// One scenario (or ramp step) on one server.
pub struct Measured {
    pub scenario: &'static str,
    pub title: &'static str,
    pub kind: ServerKind,
    pub rate: Option<u32>,
    pub result: Result<Value, String>,
}

impl Measured {
    pub fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "server": self.kind.short(),
            "rate": self.rate,
            "report": self.result.as_ref().ok(),
            "error": self.result.as_ref().err(),
        })
    }
}

/// When and where the run happened.
pub struct RunConditions {
    pub date: String,
    pub machine: String,
    pub load_before: String,
    pub load_after: String,
    pub is_quick: bool,
}

impl RunConditions {
    /// The conditions of a run that just ended, which started at load average `load_before`.
    pub fn now(load_before: String, is_quick: bool) -> Self {
        RunConditions {
            date: crate::process::output_of("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
                .unwrap_or_default(),
            machine: machine(),
            load_before,
            load_after: load_average(),
            is_quick,
        }
    }
}

/// One line about the machine: cores, CPU model, memory, kernel, Node and rustc versions.
pub fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{} GiB RAM", kib / 1024 / 1024))
        })
        .unwrap_or_default();
    let kernel = process::output_of("uname", &["-r"]).unwrap_or_default();
    let node = process::output_of("node", &["--version"]).unwrap_or_default();
    let rustc = process::output_of("rustc", &["--version"]).unwrap_or_default();
    format!("{cores} × {cpu}, {memory}, Linux {kernel}, Node {node}, {rustc}")
}

/// The 1/5/15-minute load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// The number at `path` in `v`.
pub fn num(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |v, key| v.get(key))?.as_f64()
}

/// `value` with `decimals` decimals, or a dash.
pub fn fmt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v:.decimals$}"))
}

fn mib(kib: Option<f64>) -> String {
    kib.map_or_else(|| "—".into(), |k| format!("{:.1} MiB", k / 1024.0))
}

fn percentiles(v: &Value, key: &str) -> String {
    ["p50", "p95", "p99", "max"]
        .iter()
        .map(|p| fmt(num(v, &[key, p]), 2))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn find<'a>(results: &'a [Measured], scenario: &str, kind: ServerKind) -> Option<&'a Value> {
    results
        .iter()
        .find(|m| m.scenario == scenario && m.kind == kind)
        .and_then(|m| m.result.as_ref().ok())
}

fn failures(out: &mut String, results: &[Measured], scenario: &str) {
    for m in results.iter().filter(|m| m.scenario == scenario) {
        if let Err(err) = &m.result {
            let _ = writeln!(out, "\n{} failed: `{err}`", m.kind.label());
        }
    }
}

fn updates_table(out: &mut String, rows: &[(&Measured, &Value)]) {
    out.push_str(
        "| server | updates/s | deliveries/s | missing | skipped | per delivery p50 / p95 / p99 / max (ms) \
         | fan-out p50 / p95 / p99 / max (ms) | server CPU (s) | CPU per delivery (µs) \
         | server peak RSS | generator CPU (s) |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (m, v) in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            m.kind.short(),
            fmt(num(v, &["rate"]), 0),
            fmt(num(v, &["delivered_per_s"]), 0),
            fmt(num(v, &["missing"]), 0),
            fmt(num(v, &["backlogged"]), 0),
            percentiles(v, "per_delivery_ms"),
            percentiles(v, "fanout_ms"),
            fmt(num(v, &["server_cpu_s"]), 2),
            fmt(num(v, &["server_cpu_per_delivery_us"]), 1),
            mib(num(v, &["server_peak_rss_kb"])),
            fmt(num(v, &["generator_cpu_s"]), 2),
        );
    }
}

fn rows_of<'a>(results: &'a [Measured], scenario: &str) -> Vec<(&'a Measured, &'a Value)> {
    results
        .iter()
        .filter(|m| m.scenario == scenario)
        .filter_map(|m| m.result.as_ref().ok().map(|v| (m, v)))
        .collect()
}

/// A target's verdict in bold.
pub fn verdict(is_met: Option<bool>) -> &'static str {
    match is_met {
        Some(true) => "**met**",
        Some(false) => "**missed**",
        None => "**not measured**",
    }
}

/// The highest ramp rate each server sustained, and whether it failed a step at all.
fn sustained(results: &[Measured], kind: ServerKind) -> (Option<u32>, bool) {
    let mut best = None;
    let mut failed = false;
    for m in results
        .iter()
        .filter(|m| m.scenario == "S1-ramp" && m.kind == kind)
    {
        let ok = m.result.as_ref().is_ok_and(|v| {
            num(v, &["missing"]) == Some(0.0)
                && num(v, &["backlogged"]) == Some(0.0)
                && num(v, &["fanout_ms", "p99"]).is_some_and(|p| p <= RAMP_P99_LIMIT_MS)
        });
        if ok {
            best = m.rate;
        } else {
            failed = true;
        }
    }
    (best, failed)
}

pub fn render(conditions: &RunConditions, results: &[Measured]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Side by side with the Node server (`cargo xtask bench compare`)\n\n\
         Generated on {} by `cargo xtask bench compare`{}. Machine: {}. Load average \
         (1/5/15 min) before the run: {}, after: {}. The generator (`ycord-load`) runs on the \
         same cores as the server; its CPU time is in every table. Each scenario starts a fresh \
         server process: `node interop/support/reference_server_main.mjs` (the \
         `@y/websocket-server` 0.1.1 pinned by `interop/package-lock.json`, no persistence) and \
         `ycord --port 0 --data-dir DIR` (embedded SQLite store, default sync-before-echo \
         durability: every update is committed before it is relayed); `ycord --ephemeral` \
         (memory only) is listed too, to show what the store costs. Targets compare the default \
         `ycord` with Node. The generator speaks only \
         the y-websocket dialect, so `@hocuspocus/server` is not compared.",
        conditions.date,
        if conditions.is_quick {
            " --quick (a harness check, not a measurement)"
        } else {
            ""
        },
        conditions.machine,
        conditions.load_before,
        conditions.load_after,
    );

    for (id, heading) in [("S1", "Scenario 1"), ("S4", "Scenario 4")] {
        let title = results
            .iter()
            .find(|m| m.scenario == id)
            .map_or("", |m| m.title);
        let _ = writeln!(out, "\n### {heading}: {title}\n");
        updates_table(&mut out, &rows_of(results, id));
        failures(&mut out, results, id);
    }

    let _ = writeln!(
        out,
        "\n### Scenario 1 ramp: raise the rate until p99 fan-out passes {RAMP_P99_LIMIT_MS} ms\n\n\
         Same shape as scenario 1, 10 s per step, rates {RAMP_RATES:?}; a step fails when p99 \
         fan-out exceeds {RAMP_P99_LIMIT_MS} ms, an update is missing, or the generator had to \
         skip updates (\"skipped\"). Each server stops at its first failed step.\n"
    );
    updates_table(&mut out, &rows_of(results, "S1-ramp"));
    failures(&mut out, results, "S1-ramp");

    let _ = writeln!(
        out,
        "\n### Scenario 2: 5,000 idle connections in 100 rooms\n"
    );
    out.push_str(
        "| server | connect all (ms) | RSS before | RSS with all connected | per connection (KiB) | server CPU while idle (s) |\n\
         |---|---|---|---|---|---|\n",
    );
    for (m, v) in rows_of(results, "S2") {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            m.kind.short(),
            fmt(num(v, &["connect_ms"]), 0),
            mib(num(v, &["server_rss_before_kb"])),
            mib(num(v, &["server_rss_connected_kb"])),
            fmt(num(v, &["server_rss_per_connection_kb"]), 1),
            fmt(num(v, &["server_cpu_idle_s"]), 2),
        );
    }
    failures(&mut out, results, "S2");

    let _ = writeln!(
        out,
        "\n### Scenario 3: 50 clients join a large document at once\n"
    );
    if let Some((_, v)) = rows_of(results, "S3").first() {
        let _ = writeln!(
            out,
            "The document: {} bytes of text typed as {} insertions at random positions, plus {} \
             map entries; {} bytes as one v1 update.\n",
            fmt(num(v, &["doc_text_bytes"]), 0),
            fmt(num(v, &["doc_edits"]), 0),
            fmt(num(v, &["doc_entries"]), 0),
            fmt(num(v, &["doc_update_bytes"]), 0),
        );
    }
    out.push_str(
        "| server | all synced (ms) | per client p50 / p95 / p99 / max (ms) | complete states | RSS before the joins | server peak RSS | server CPU (s) |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (m, v) in rows_of(results, "S3") {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} / {} | {} | {} | {} |",
            m.kind.short(),
            fmt(num(v, &["all_synced_ms"]), 1),
            percentiles(v, "sync_ms"),
            fmt(num(v, &["complete_states"]), 0),
            fmt(num(v, &["clients"]), 0),
            mib(num(v, &["server_rss_before_join_kb"])),
            mib(num(v, &["server_peak_rss_kb"])),
            fmt(num(v, &["server_cpu_s"]), 2),
        );
    }
    failures(&mut out, results, "S3");

    let _ = writeln!(
        out,
        "\n### Scenario 5: presence, 1,000 clients in 100 rooms renew awareness at 1 Hz\n"
    );
    out.push_str(
        "| server | renewals | deliveries | missing | per delivery p50 / p95 / p99 / max (ms) | server CPU (s) | CPU per delivery (µs) | generator CPU (s) |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (m, v) in rows_of(results, "S5") {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            m.kind.short(),
            fmt(num(v, &["sent"]), 0),
            fmt(num(v, &["delivered"]), 0),
            fmt(num(v, &["missing"]), 0),
            percentiles(v, "per_delivery_ms"),
            fmt(num(v, &["server_cpu_s"]), 2),
            fmt(num(v, &["server_cpu_per_delivery_us"]), 1),
            fmt(num(v, &["generator_cpu_s"]), 2),
        );
    }
    failures(&mut out, results, "S5");

    targets(&mut out, results);
    out
}

fn targets(out: &mut String, results: &[Measured]) {
    let (node, ycord) = (ServerKind::Node, ServerKind::Ycord);
    let pair = |s: &str, path: &[&str]| {
        Some((
            num(find(results, s, node)?, path)?,
            num(find(results, s, ycord)?, path)?,
        ))
    };
    let _ = writeln!(out, "\n### Targets\n");

    let cpu = pair("S1", &["server_cpu_per_delivery_us"]);
    let _ = writeln!(
        out,
        "- S1 server CPU per delivered update ≤ 1/4 of Node's: {} — ycord {} µs, Node {} µs (ratio {}).",
        verdict(cpu.map(|(n, y)| y <= n / 4.0)),
        fmt(cpu.map(|c| c.1), 1),
        fmt(cpu.map(|c| c.0), 1),
        fmt(cpu.map(|(n, y)| y / n), 3),
    );
    let p99 = pair("S1", &["fanout_ms", "p99"]);
    let _ = writeln!(
        out,
        "- S1 p99 fan-out no worse than Node's: {} — ycord {} ms, Node {} ms.",
        verdict(p99.map(|(n, y)| y <= n)),
        fmt(p99.map(|c| c.1), 2),
        fmt(p99.map(|c| c.0), 2),
    );
    let (node_rate, _) = sustained(results, node);
    let (ycord_rate, ycord_failed) = sustained(results, ycord);
    let ramp_met = match (node_rate, ycord_rate) {
        (Some(n), Some(y)) => Some(y >= 5 * n),
        (Some(_), None) => Some(false),
        _ => None,
    };
    let lowest = RAMP_RATES[0];
    let _ =
        writeln!(
        out,
        "- Ramp: ycord sustains ≥ 5× Node's rate at p99 fan-out ≤ {RAMP_P99_LIMIT_MS} ms: {} — \
         ycord {}{} updates/s, Node {} updates/s.",
        verdict(ramp_met),
        ycord_rate.map_or(format!("below {lowest}"), |r| r.to_string()),
        if ycord_failed { "" } else { " (the highest rate tried)" },
        node_rate.map_or(format!("below {lowest}"), |r| r.to_string()),
    );
    let idle = find(results, "S2", ycord).and_then(|v| num(v, &["server_rss_per_connection_kb"]));
    let _ = writeln!(
        out,
        "- S2 ≤ 16 KiB resident memory per idle connection: {} — ycord {} KiB (Node {} KiB).",
        verdict(idle.map(|k| k <= 16.0)),
        fmt(idle, 1),
        fmt(
            find(results, "S2", node).and_then(|v| num(v, &["server_rss_per_connection_kb"])),
            1
        ),
    );
    let synced = pair("S3", &["all_synced_ms"]);
    let _ = writeln!(
        out,
        "- S3 all clients synced ≥ 5× sooner: {} — ycord {} ms, Node {} ms ({}× sooner).",
        verdict(synced.map(|(n, y)| y * 5.0 <= n)),
        fmt(synced.map(|c| c.1), 1),
        fmt(synced.map(|c| c.0), 1),
        fmt(synced.map(|(n, y)| n / y), 1),
    );
    let peak = pair("S3", &["server_peak_rss_kb"]);
    let _ = writeln!(
        out,
        "- S3 peak memory ≤ 1/3 of Node's: {} — ycord {}, Node {} (ratio {}).",
        verdict(peak.map(|(n, y)| y * 3.0 <= n)),
        mib(peak.map(|c| c.1)),
        mib(peak.map(|c| c.0)),
        fmt(peak.map(|(n, y)| y / n), 2),
    );
    let presence = pair("S5", &["server_cpu_per_delivery_us"]);
    let _ = writeln!(
        out,
        "- S5 awareness relay CPU ≤ 1/5 of Node's: {} — ycord {} µs, Node {} µs per delivery (ratio {}).",
        verdict(presence.map(|(n, y)| y <= n / 5.0)),
        fmt(presence.map(|c| c.1), 1),
        fmt(presence.map(|c| c.0), 1),
        fmt(presence.map(|(n, y)| y / n), 3),
    );
}
