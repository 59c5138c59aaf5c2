//! `cargo xtask bench`: benchmarks too long for CI.
//!
//! `cargo xtask bench compare` runs `ycord` and the Node reference server
//! (`@y/websocket-server`) in turn through the same `ycord-load` scenarios and writes the
//! side-by-side tables into `docs/benchmarks.md`.

mod compare;
mod report;
mod scenario;
mod server_process;

use anyhow::Result;

/// The benchmarks `cargo xtask bench` runs.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Run every scenario against @y/websocket-server and ycord, write docs/benchmarks.md
    Compare(compare::Options),
}

/// Runs `cargo xtask bench <command>`; `Ok(true)` if every benchmark ran.
pub fn run(command: &BenchCommand) -> Result<bool> {
    match command {
        BenchCommand::Compare(options) => compare::run(options),
    }
}
