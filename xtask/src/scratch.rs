//! A temporary directory for the browsers of one suite, under the target directory.
//!
//! chromedriver gives every session a fresh Chromium profile (about 75 MB) in the temporary
//! directory and leaves it there when wasm-bindgen-test-runner ends the session; one
//! `cargo xtask test` ran about thirty sessions, so repeated runs filled `/tmp`. Pointing
//! `TMPDIR` at a directory that the suite owns keeps the profiles out of `/tmp` and lets the
//! suite delete them all when it ends, including those of a run that was killed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::workspace::Workspace;

/// A directory that exists for as long as this value, emptied of a previous run's leftovers.
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// `target/tmp/<name>`, created empty.
    pub fn create(workspace: &Workspace, name: &str) -> Result<Self> {
        let path = workspace.target_dir.join("tmp").join(name);
        remove(&path)?;
        std::fs::create_dir_all(&path)
            .with_context(|| format!("could not create {}", path.display()))?;
        Ok(ScratchDir { path })
    }

    /// The variable that sends Chromium's, chromedriver's and Node's temporary files here.
    pub fn tmpdir_variable(&self) -> (&'static str, String) {
        ("TMPDIR", self.path.to_string_lossy().into_owned())
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(err) = remove(&self.path) {
            eprintln!("xtask: warning: {err:#}");
        }
    }
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("could not remove {}", path.display()))
        }
        _ => Ok(()),
    }
}
