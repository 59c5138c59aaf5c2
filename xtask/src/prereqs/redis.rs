//! The Redis server binary, for the rust suite's tests of the Redis streams between the nodes
//! of a cluster.

use anyhow::{bail, Result};

use super::system;
use crate::process;

/// The program the test server runs as.
pub const SERVER: &str = "redis-server";

/// `redis-server --version`, if it runs from `PATH`.
fn version() -> Option<String> {
    process::output_of(SERVER, &["--version"])
}

/// Installs Debian's `redis-server` when it is missing (root only).
pub fn ensure_server(install: bool) -> Result<()> {
    if version().is_none() {
        system::apt_install(
            &[SERVER],
            install,
            "Redis is missing (the rust suite tests the cluster's Redis streams against a real server)",
        )?;
    }
    let Some(version) = version() else {
        bail!("redis-server was installed but does not run from PATH");
    };
    println!("redis: {version}");
    Ok(())
}
