//! PostgreSQL server binaries, for the rust suite's PostgreSQL store tests.

use std::fs;
use std::path::PathBuf;

use anyhow::{bail, Result};

use super::system;

/// Where `initdb`, `pg_ctl` and `createdb` are: Debian's newest
/// `/usr/lib/postgresql/<major>/bin`, else the directory on `PATH` that has `initdb`.
pub fn bin_dir() -> Option<PathBuf> {
    let debian = fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|entries| {
            entries
                .filter_map(|entry| {
                    let entry = entry.ok()?;
                    let major: u32 = entry.file_name().to_str()?.parse().ok()?;
                    let bin = entry.path().join("bin");
                    bin.join("initdb").is_file().then_some((major, bin))
                })
                .max_by_key(|(major, _)| *major)
                .map(|(_, bin)| bin)
        });
    debian.or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    })
}

/// Installs Debian's `postgresql` when no server binaries are found (root only).
pub fn ensure_server(install: bool) -> Result<()> {
    if bin_dir().is_none() {
        system::apt_install(
            &["postgresql"],
            install,
            "PostgreSQL is missing (the rust suite tests the PostgreSQL store against a real server)",
        )?;
    }
    let Some(bin) = bin_dir() else {
        bail!("PostgreSQL was installed but no initdb was found in /usr/lib/postgresql/*/bin or on PATH");
    };
    if system::is_root() && crate::process::output_of("id", &["-u", "postgres"]).is_none() {
        bail!(
            "running as root, the test server runs as the `postgres` OS user, which is missing \
             (Debian's postgresql package creates it)"
        );
    }
    println!("postgresql: {}", bin.display());
    Ok(())
}
