//! `cargo xtask bench`: benchmarks too long for CI.

use anyhow::{bail, Result};

/// Runs `cargo xtask bench ARGS…`; `Ok(true)` if every benchmark ran.
pub fn run(args: &[String]) -> Result<bool> {
    bail!("unknown bench command {args:?}")
}
