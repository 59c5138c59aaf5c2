//! The scenarios of the comparison, as `ycord-load` command lines.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::server_process::ServerProcess;
use crate::workspace::Workspace;

/// Rates of the scenario 1 ramp, in updates/s over all clients.
pub const RAMP_RATES: [u32; 6] = [500, 1_000, 2_000, 4_000, 8_000, 16_000];
/// Fan-out p99 above which a rate counts as not sustained.
pub const RAMP_P99_LIMIT_MS: f64 = 50.0;

/// One scenario: what `ycord-load` is told.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    pub args: Vec<String>,
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Scenarios 1–5 of the issue; `quick` shrinks each to check the harness.
pub fn all(quick: bool) -> Vec<Scenario> {
    let secs = |full: &'static str, short: &'static str| if quick { short } else { full };
    let count = |full: &'static str, short: &'static str| if quick { short } else { full };
    vec![
        Scenario {
            id: "S1",
            title: "1,000 clients in 100 rooms, 2,000 updates/s",
            args: args(&[
                "--mode",
                "updates",
                "--clients",
                count("1000", "100"),
                "--rooms",
                count("100", "10"),
                "--rate",
                "2000",
                "--seconds",
                secs("30", "3"),
                "--warmup-seconds",
                "2",
            ]),
        },
        Scenario {
            id: "S2",
            title: "5,000 idle connections in 100 rooms",
            args: args(&[
                "--mode",
                "idle",
                "--clients",
                count("5000", "500"),
                "--rooms",
                count("100", "10"),
                "--seconds",
                secs("5", "1"),
            ]),
        },
        Scenario {
            id: "S3",
            title: "50 clients join a 1 MB document at once",
            args: args(&[
                "--mode",
                "join",
                "--clients",
                "50",
                "--rooms",
                "1",
                "--doc-bytes",
                count("1000000", "100000"),
                "--doc-edits",
                count("20000", "2000"),
                "--doc-entries",
                count("10000", "1000"),
            ]),
        },
        Scenario {
            id: "S4",
            title: "hot room: 20 clients, 50 updates/s each",
            args: args(&[
                "--mode",
                "updates",
                "--clients",
                "20",
                "--rooms",
                "1",
                "--rate",
                "1000",
                "--seconds",
                secs("15", "2"),
                "--warmup-seconds",
                "1",
            ]),
        },
        Scenario {
            id: "S5",
            title: "presence: 1,000 clients in 100 rooms renew awareness at 1 Hz",
            args: args(&[
                "--mode",
                "presence",
                "--clients",
                count("1000", "100"),
                "--rooms",
                count("100", "10"),
                "--renew-ms",
                "1000",
                "--seconds",
                secs("20", "3"),
                "--warmup-seconds",
                "2",
            ]),
        },
    ]
}

/// The scenario 1 shape at `rate`, 10 s per step.
pub fn ramp_step(rate: u32, quick: bool) -> Scenario {
    let mut step = all(quick).remove(0);
    step.id = "S1-ramp";
    let at = step
        .args
        .iter()
        .position(|a| a == "--rate")
        .expect("S1 has --rate");
    step.args[at + 1] = rate.to_string();
    let at = step
        .args
        .iter()
        .position(|a| a == "--seconds")
        .expect("S1 has --seconds");
    step.args[at + 1] = if quick { "2" } else { "10" }.to_owned();
    step
}

/// Runs `ycord-load` for `scenario` against `server` and returns its JSON report.
pub fn run(workspace: &Workspace, scenario: &Scenario, server: &ServerProcess) -> Result<Value> {
    let mut args = vec![
        "--url".to_owned(),
        server.url.clone(),
        "--server-pid".to_owned(),
        server.pid().to_string(),
    ];
    args.extend_from_slice(&scenario.args);
    run_load(workspace, &args)
}

/// Runs `ycord-load` with `args` and returns the JSON report it prints last.
pub fn run_load(workspace: &Workspace, args: &[String]) -> Result<Value> {
    let mut command = Command::new(workspace.release_binary("ycord-load"));
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let child = command.spawn().context("while starting ycord-load")?;
    // ycord-load bounds every phase itself; this only guards against a hang.
    let output = wait_with_limit(child, Duration::from_secs(600))?;
    if !output.status.success() {
        bail!("ycord-load failed ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .last()
        .context("ycord-load printed nothing")?;
    serde_json::from_str(line).with_context(|| format!("ycord-load printed {line:?}"))
}

fn wait_with_limit(
    mut child: std::process::Child,
    limit: Duration,
) -> Result<std::process::Output> {
    let started = std::time::Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            return Ok(child.wait_with_output()?);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!("ycord-load ran longer than {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
