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
    /// clippy-driver, when every workspace crate is to be compiled by it (see [`Self::with_clippy`]).
    clippy_driver: Option<PathBuf>,
}

/// `-D warnings` in the form clippy-driver reads from `CLIPPY_ARGS` (what `cargo clippy -- -D
/// warnings` sets).
const CLIPPY_ARGS: &str = "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__";

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
            clippy_driver: None,
        })
    }

    /// Every cargo command of this workspace compiles the workspace's own crates with
    /// clippy-driver as rustc (`RUSTC_WORKSPACE_WRAPPER`, as `cargo clippy` does, with `-D
    /// warnings`), so the builds the suites need also lint: the dependencies are compiled once
    /// instead of once more in check mode for clippy, natively and for wasm32. Every command
    /// must carry the same wrapper, or cargo rebuilds the workspace crates without it.
    pub fn with_clippy(mut self) -> Result<Self> {
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let output = std::process::Command::new(&rustc)
            .args(["--print", "sysroot"])
            .output()
            .with_context(|| format!("running {} --print sysroot", rustc.to_string_lossy()))?;
        let sysroot = String::from_utf8(output.stdout).context("rustc's sysroot is not UTF-8")?;
        let driver = PathBuf::from(sysroot.trim())
            .join("bin")
            .join(format!("clippy-driver{}", std::env::consts::EXE_SUFFIX));
        if !driver.is_file() {
            anyhow::bail!(
                "{} does not exist: install clippy (rustup component add clippy)",
                driver.display()
            );
        }
        self.clippy_driver = Some(driver);
        Ok(self)
    }

    /// Whether cargo commands lint the workspace crates as they compile them.
    pub fn lints(&self) -> bool {
        self.clippy_driver.is_some()
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
        if let Some(driver) = &self.clippy_driver {
            command
                .env("RUSTC_WORKSPACE_WRAPPER", driver)
                .env("CLIPPY_ARGS", CLIPPY_ARGS);
        }
        command
    }
}
