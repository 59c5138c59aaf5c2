//! `cargo xtask bench`: benchmarks too long for CI.
//!
//! `cargo xtask bench compare` runs `ycord` and the Node reference server
//! (`@y/websocket-server`) in turn through the same `ycord-load` scenarios and writes the
//! side-by-side tables into `docs/benchmarks.md`.

mod compare;
mod report;
mod scenario;
mod server_process;

use anyhow::{bail, Result};

const USAGE: &str = "\
usage: cargo xtask bench compare [--quick] [--npm-ci] [--no-write]
  compare    run every scenario against @y/websocket-server and ycord, write docs/benchmarks.md
  --quick    every scenario at a tenth of its size and length (checks the harness, not a result)
  --npm-ci   run `npm ci` in interop/ even when its node_modules already match the lock file
  --no-write print the tables instead of writing docs/benchmarks.md";

/// Runs `cargo xtask bench ARGS…`; `Ok(true)` if every benchmark ran.
pub fn run(args: &[String]) -> Result<bool> {
    let Some((command, flags)) = args.split_first() else {
        println!("{USAGE}");
        bail!("cargo xtask bench needs a command");
    };
    match command.as_str() {
        "compare" => {
            let mut options = compare::Options::default();
            for flag in flags {
                match flag.as_str() {
                    "--quick" => options.is_quick = true,
                    "--npm-ci" => options.force_npm_ci = true,
                    "--no-write" => options.is_dry = true,
                    other => {
                        println!("{USAGE}");
                        bail!("unknown flag {other:?} for bench compare");
                    }
                }
            }
            compare::run(&options)
        }
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            Ok(true)
        }
        other => {
            println!("{USAGE}");
            bail!("unknown bench command {other:?}")
        }
    }
}
