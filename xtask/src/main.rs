//! `cargo xtask`: the project's automation, run through the alias in `.cargo/config.toml`.
//!
//! `cargo xtask test` is everything CI runs. It installs what is missing, builds the workspace
//! once, lints it, runs every suite and prints a summary; it exits non-zero if anything failed.
//! `cargo xtask with-services <command>` runs one command next to the same throwaway
//! PostgreSQL and Redis servers the tests get. `cargo xtask demo` serves the browser examples;
//! `cargo xtask bench` runs the benchmarks that CI does not.
//!
//! Modules import downward only: `cli` → the commands (`steps`, `demo`, `bench`) → the
//! steps of `test` (`lint`, `msrv`, `suites`) → `site` and `services` → `prereqs` → the
//! leaves (`process`, `workspace`, `scratch`, `outcome`). A lower layer takes plain values
//! (a flag, a list of needs), never a command's options.

mod bench;
mod cli;
mod demo;
mod lint;
mod msrv;
mod outcome;
mod prereqs;
mod process;
mod scratch;
mod services;
mod site;
mod steps;
mod suites;
mod workspace;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    // Bad input exits with status 2 and usage help; `--help` with 0.
    let Some(command) = Cli::parse().command else {
        return match cli::print_help() {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        };
    };
    let result = match command {
        Command::Test(options) => steps::test(&options),
        Command::WithServices { command } => steps::with_services(&command),
        Command::Bench { command } => bench::run(&command),
        Command::Demo(options) => demo::run(&options),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("\nxtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
