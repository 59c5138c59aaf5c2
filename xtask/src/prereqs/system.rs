//! Installing Debian packages, which CI (Debian 12, root) relies on.

use anyhow::{bail, Result};

use crate::process;

pub fn is_root() -> bool {
    process::output_of("id", &["-u"]).as_deref() == Some("0")
}

/// `apt-get install` of `packages` when running as root on a system with apt; otherwise an
/// error that names what to install.
pub fn apt_install(packages: &[&str], install: bool, why: &str) -> Result<()> {
    let list = packages.join(" ");
    if !install {
        bail!("{why}: install {list} (Debian: apt-get install {list}) or drop --no-install");
    }
    if !is_root() || process::output_of("apt-get", &["--version"]).is_none() {
        bail!("{why}: install {list} (Debian: sudo apt-get install {list}) and rerun");
    }
    println!("{why}: installing {list} with apt-get");
    let mut update = std::process::Command::new("apt-get");
    update.args(["update", "-q"]);
    if !process::run(&mut update)? {
        bail!("`apt-get update` failed; install {list} by hand and rerun");
    }
    let mut command = std::process::Command::new("apt-get");
    command
        .args(["install", "-y", "-q"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    if !process::run(&mut command)? {
        bail!("`apt-get install {list}` failed; install it by hand and rerun");
    }
    Ok(())
}
