//! `cargo xtask bench compare`: every scenario against each server, tables into the docs.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::report::{self, load_average, Measured, RunConditions};
use super::scenario::{self, Scenario, RAMP_P99_LIMIT_MS, RAMP_RATES};
use super::server_process::{ServerKind, ServerProcess};
use crate::process;
use crate::workspace::Workspace;

/// Flags of `bench compare`.
#[derive(Debug, Default, clap::Args)]
pub struct Options {
    /// Every scenario at a tenth of its size and length (checks the harness, not a result)
    #[arg(long = "quick")]
    pub is_quick: bool,
    /// Run `npm ci` in interop/ even when its node_modules already match the lock file
    #[arg(long = "npm-ci")]
    pub force_npm_ci: bool,
    /// Print the tables instead of writing docs/benchmarks.md
    #[arg(long = "no-write")]
    pub is_dry: bool,
}

/// Runs every scenario against every server kind, then writes (or with `--no-write`
/// prints) the tables; `Ok(true)` if every run produced a result.
pub fn run(options: &Options) -> Result<bool> {
    let workspace = Workspace::locate()?;
    install_node_packages(&workspace, options.force_npm_ci)?;
    let work = super::build_release(&workspace, "bench-compare")?;

    let load_before = load_average();
    let mut results = Vec::new();
    for scenario in scenario::all(options.is_quick) {
        for kind in ServerKind::ALL {
            results.push(measure(&workspace, &work, &scenario, kind, None));
        }
    }
    for kind in ServerKind::ALL {
        for rate in RAMP_RATES {
            let step = scenario::ramp_step(rate, options.is_quick);
            let measured = measure(&workspace, &work, &step, kind, Some(rate));
            let is_sustained = measured.result.as_ref().is_ok_and(is_sustained);
            results.push(measured);
            if !is_sustained {
                break;
            }
        }
    }
    let conditions = RunConditions::now(load_before, options.is_quick);
    let section = report::render(&conditions, &results);
    super::publish(
        &workspace,
        &work,
        "compare",
        &section,
        results.iter().map(Measured::to_json).collect(),
        options.is_dry,
    )?;
    Ok(results.iter().all(|m| m.result.is_ok()))
}

fn measure(
    workspace: &Workspace,
    work: &Path,
    scenario: &Scenario,
    kind: ServerKind,
    rate: Option<u32>,
) -> Measured {
    println!(
        "== {} on {} ({})",
        scenario.id,
        kind.label(),
        scenario.args.join(" ")
    );
    let log = work.join(format!(
        "{}-{}-{}.log",
        scenario.id,
        kind.short(),
        rate.unwrap_or(0)
    ));
    let result = ServerProcess::start(kind, workspace, work, &log)
        .and_then(|server| scenario::run(workspace, scenario, &server))
        .map_err(|err| format!("{err:#}"));
    match &result {
        Ok(json) => println!("{json}"),
        Err(err) => println!("FAILED: {err}"),
    }
    Measured {
        scenario: scenario.id,
        title: scenario.title,
        kind,
        rate,
        result,
    }
}

/// A ramp step passes when every update arrived, nothing was skipped, and p99 fan-out stayed
/// under the limit.
fn is_sustained(json: &Value) -> bool {
    let p99 = json["fanout_ms"]["p99"].as_f64().unwrap_or(f64::INFINITY);
    json["missing"].as_u64() == Some(0)
        && json["backlogged"].as_u64() == Some(0)
        && json["failed_clients"].as_u64() == Some(0)
        && p99 <= RAMP_P99_LIMIT_MS
}

/// `npm ci` in interop/ unless its node_modules already hold what the lock file pins.
fn install_node_packages(workspace: &Workspace, force: bool) -> Result<()> {
    let interop = workspace.interop_dir();
    let installed = interop.join("node_modules").join(".package-lock.json");
    let lock = fs::read_to_string(interop.join("package-lock.json"))
        .context("while reading interop/package-lock.json")?;
    let is_current = fs::read_to_string(&installed).is_ok_and(|text| {
        // npm writes the installed tree's lock as `.package-lock.json`; the same pinned
        // versions of the server package mean the install matches the committed lock.
        let wanted = pinned_version(&lock, "node_modules/@y/websocket-server");
        wanted.is_some() && wanted == pinned_version(&text, "node_modules/@y/websocket-server")
    });
    if is_current && !force {
        println!(
            "interop/node_modules matches package-lock.json; skipping npm ci (--npm-ci forces it)"
        );
        return Ok(());
    }
    let mut npm = Command::new("npm");
    npm.arg("ci").current_dir(&interop);
    if !process::run(&mut npm)? {
        bail!("npm ci in interop/ failed");
    }
    Ok(())
}

fn pinned_version(lock: &str, package: &str) -> Option<String> {
    let json: Value = serde_json::from_str(lock).ok()?;
    json["packages"][package]["version"]
        .as_str()
        .map(str::to_owned)
}
