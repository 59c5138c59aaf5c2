//! Servers the tests need, started on loopback in a temp dir before the suites and stopped
//! after them (also when a suite fails). A new service is a file beside this one.

pub mod postgres;
pub mod redis;
pub mod ycord;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A port of 127.0.0.1 that nothing listens on right now, for servers that cannot be told to
/// pick one themselves.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The temp dirs `<prefix><pid>` of xtask runs that no longer exist (killed before they could
/// stop their servers), announced as `label: removing …`; the caller stops what runs there
/// and removes them.
fn stale_dirs(prefix: &str, label: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return Vec::new();
    };
    let mut stale = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|name| name.strip_prefix(prefix))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if owner == std::process::id() || Path::new(&format!("/proc/{owner}")).exists() {
            continue;
        }
        let dir = entry.path();
        println!(
            "{label}: removing the test server of an earlier run in {}",
            dir.display()
        );
        stale.push(dir);
    }
    stale
}
