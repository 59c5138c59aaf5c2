//! Where things are: the repository root, cargo, the target directory and built binaries.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, Result};

/// The checkout xtask was built from.
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    /// The cargo that runs xtask (so a pinned toolchain stays pinned for the child builds).
    pub cargo: OsString,
}

impl Workspace {
    pub fn locate() -> Result<Self> {
        // `cargo run` sets CARGO_MANIFEST_DIR at run time too. Prefer it to the compile-time
        // value: two checkouts sharing one CARGO_TARGET_DIR share one xtask binary.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .context("xtask/ has no parent directory")?
            .to_path_buf();
        // Relative CARGO_TARGET_DIR values are resolved against the root because every cargo
        // child runs there.
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => root.join(dir),
            _ => root.join("target"),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Ok(Workspace {
            root,
            target_dir,
            cargo,
        })
    }

    /// A binary of the debug profile, as `cargo build` leaves it.
    pub fn debug_binary(&self, name: &str) -> PathBuf {
        self.target_dir
            .join("debug")
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }

    /// A binary of the release profile.
    pub fn release_binary(&self, name: &str) -> PathBuf {
        self.target_dir
            .join("release")
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }

    pub fn interop_dir(&self) -> PathBuf {
        self.root.join("interop")
    }

    /// `cargo <args>` run from the repository root.
    pub fn cargo(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(&self.cargo);
        command.args(args).current_dir(&self.root);
        command
    }
}
