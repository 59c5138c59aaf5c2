//! `cargo xtask`: the project's automation, run through the alias in `.cargo/config.toml`.
//!
//! `cargo xtask test` is everything CI runs. It installs what is missing, builds the workspace
//! once, lints it, runs every suite and prints a summary; it exits non-zero if anything failed.
//! `cargo xtask with-postgres <command>` runs one command next to the same throwaway
//! PostgreSQL server the tests get. `cargo xtask bench` runs the benchmarks that CI does not.

mod bench;
mod cli;
mod demo;
mod lint;
mod outcome;
mod prereqs;
mod process;
mod scratch;
mod services;
mod steps;
mod suites;
mod workspace;

use std::process::ExitCode;

use crate::cli::Invocation;

fn main() -> ExitCode {
    let invocation = match cli::parse(std::env::args().skip(1)) {
        Ok(invocation) => invocation,
        Err(err) => {
            eprintln!("error: {err:#}\n(see `cargo xtask --help` and `cargo xtask test --help`)");
            return ExitCode::from(2);
        }
    };
    let result = match invocation {
        Invocation::Help(text) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Invocation::Test(options) => steps::test(&options),
        Invocation::WithPostgres(command) => steps::with_postgres(&command),
        Invocation::Bench(args) => bench::run(&args),
        Invocation::Demo(options) => demo::run(&options),
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
