//! `cargo xtask bench`: benchmarks too long for CI.
//!
//! `cargo xtask bench compare` runs `ycord` and the Node reference server
//! (`@y/websocket-server`) in turn through the same `ycord-load` scenarios and writes the
//! side-by-side tables into `docs/benchmarks.md`. `cargo xtask bench cluster` runs one load
//! against 1, 2 and 3 `ycord` nodes sharing a throwaway PostgreSQL and Redis, and writes how
//! deliveries between nodes compare with deliveries within one.

mod cluster;
mod cluster_report;
mod compare;
mod report;
mod scenario;
mod section;
mod server_process;

use std::fs;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::process;
use crate::workspace::Workspace;

/// The benchmarks `cargo xtask bench` runs.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Run every scenario against @y/websocket-server and ycord, write docs/benchmarks.md
    Compare(compare::Options),
    /// Run one load against 1, 2 and 3 ycord nodes (PostgreSQL + Redis), write
    /// docs/benchmarks.md
    Cluster(cluster::Options),
}

/// Runs `cargo xtask bench <command>`; `Ok(true)` if every benchmark ran.
pub fn run(command: &BenchCommand) -> Result<bool> {
    match command {
        BenchCommand::Compare(options) => compare::run(options),
        BenchCommand::Cluster(options) => cluster::run(options),
    }
}

/// Builds the server and the load generator for release (what every benchmark runs) and
/// returns `<target>/<work_dir>`, created, for the run's logs and reports.
fn build_release(workspace: &Workspace, work_dir: &str) -> Result<PathBuf> {
    let mut build = workspace.cargo(&[
        "build",
        "--release",
        "-p",
        "ycord-server",
        "-p",
        "ycord-benches",
    ]);
    if !process::run(&mut build)? {
        bail!("the release build failed");
    }
    let work = workspace.target_dir.join(work_dir);
    fs::create_dir_all(&work).with_context(|| format!("while creating {}", work.display()))?;
    Ok(work)
}

/// Keeps a run's raw results in `<work>/results.json` and writes `section` into the marked
/// section `name` of docs/benchmarks.md, or prints it when `is_dry`.
fn publish(
    workspace: &Workspace,
    work: &std::path::Path,
    name: &str,
    section: &str,
    raw: Vec<serde_json::Value>,
    is_dry: bool,
) -> Result<()> {
    let raw_path = work.join("results.json");
    fs::write(&raw_path, serde_json::to_string_pretty(&raw)?)?;
    println!("raw results: {}", raw_path.display());
    if is_dry {
        println!("{section}");
    } else {
        let docs = workspace.root.join("docs").join("benchmarks.md");
        section::write(&docs, name, section)?;
        println!("written to {}", docs.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Bench {
        #[command(subcommand)]
        command: BenchCommand,
    }

    #[test]
    fn cluster_takes_quick_and_no_write() {
        let parse = |args: &[&str]| Bench::try_parse_from([&["bench"], args].concat());
        let Ok(Bench {
            command: BenchCommand::Cluster(options),
        }) = parse(&["cluster"])
        else {
            panic!("expected bench cluster");
        };
        assert!(!options.is_quick && !options.is_dry);
        let Ok(Bench {
            command: BenchCommand::Cluster(options),
        }) = parse(&["cluster", "--quick", "--no-write"])
        else {
            panic!("expected bench cluster");
        };
        assert!(options.is_quick && options.is_dry);
        assert!(parse(&["cluster", "--nodes", "4"]).is_err());
    }
}
