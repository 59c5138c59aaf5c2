//! Node.js, npm and the interop suite's npm packages.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};

use super::system;
use crate::process;

/// `node --test --test-concurrency` needs Node 18.19 or newer (Debian 12 ships 18.19).
const MIN_NODE: (u64, u64) = (18, 19);

pub fn ensure_node(install: bool) -> Result<()> {
    let node = process::output_of("node", &["--version"]);
    let npm = process::output_of("npm", &["--version"]);
    if node.is_none() || npm.is_none() {
        system::apt_install(&["nodejs", "npm"], install, "node or npm is missing")?;
    }
    let version = process::output_of("node", &["--version"])
        .context("node is still not runnable after installing it")?;
    let (major, minor) = parse_version(&version)
        .with_context(|| format!("cannot read node's version from {version:?}"))?;
    if (major, minor) < MIN_NODE {
        bail!(
            "node {version} is too old: the interop suite needs {}.{} or newer",
            MIN_NODE.0,
            MIN_NODE.1
        );
    }
    let npm = process::output_of("npm", &["--version"])
        .context("npm is still not runnable after installing it")?;
    println!("node {version}, npm {npm}");
    Ok(())
}

/// `npm ci` when `node_modules` is missing or older than `package-lock.json`.
pub fn ensure_packages(interop: &Path, install: bool) -> Result<()> {
    let lock = interop.join("package-lock.json");
    // npm writes node_modules/.package-lock.json at the end of every install.
    let installed = interop.join("node_modules").join(".package-lock.json");
    let lock_time = modified(&lock).with_context(|| format!("{} is missing", lock.display()))?;
    if modified(&installed).is_some_and(|installed_time| installed_time >= lock_time) {
        println!("npm packages: up to date");
        return Ok(());
    }
    if !install {
        bail!(
            "npm packages in {} are missing or stale; run `npm ci` there",
            interop.display()
        );
    }
    let mut command = std::process::Command::new("npm");
    command
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(interop);
    if !process::run(&mut command)? {
        bail!("`npm ci` failed in {}", interop.display());
    }
    Ok(())
}

/// Bundles the npm packages the browser tests import (`npm run build:browser`); the wasm
/// tests include the bundle at compile time, so it must exist before they build.
pub fn build_browser_bundle(interop: &Path) -> Result<()> {
    let mut command = std::process::Command::new("npm");
    command
        .args(["run", "--silent", "build:browser"])
        .current_dir(interop);
    if !process::run(&mut command)? {
        bail!("`npm run build:browser` failed in {}", interop.display());
    }
    Ok(())
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).ok()?.modified().ok()
}

fn parse_version(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_node_versions() {
        assert_eq!(parse_version("v20.20.2"), Some((20, 20)));
        assert_eq!(parse_version("v18.19.0\n"), Some((18, 19)));
        assert_eq!(parse_version("garbage"), None);
        assert!(parse_version("v18.13.0").unwrap() < MIN_NODE);
    }
}
