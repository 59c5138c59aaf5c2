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

use anyhow::Result;

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
