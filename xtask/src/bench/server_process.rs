//! A server under test (or one node of a cluster), started fresh for each scenario and killed
//! after it.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::workspace::Workspace;

/// Longest wait for a server's "listening on ws://…" line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Which server a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `@y/websocket-server` 0.1.1 under Node, as interop/ pins it.
    Node,
    /// `ycord` with its defaults: embedded store, sync-before-echo durability.
    Ycord,
    /// `ycord --ephemeral`: documents in memory only, to show what the store costs.
    YcordMemory,
}

impl ServerKind {
    pub const ALL: [ServerKind; 3] = [ServerKind::Node, ServerKind::Ycord, ServerKind::YcordMemory];

    pub fn label(self) -> &'static str {
        match self {
            ServerKind::Node => "@y/websocket-server 0.1.1 (Node)",
            ServerKind::Ycord => "ycord (embedded store, sync durability)",
            ServerKind::YcordMemory => "ycord --ephemeral (memory only)",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            ServerKind::Node => "node",
            ServerKind::Ycord => "ycord",
            ServerKind::YcordMemory => "ycord --ephemeral",
        }
    }
}

/// A running server; killed on drop.
pub struct ServerProcess {
    child: Child,
    pub url: String,
    data_dir: Option<PathBuf>,
}

impl ServerProcess {
    /// Starts `kind` on an ephemeral loopback port; its output goes to `log`.
    pub fn start(kind: ServerKind, workspace: &Workspace, work: &Path, log: &Path) -> Result<Self> {
        let (command, data_dir, pattern) = match kind {
            ServerKind::Node => {
                let mut command = Command::new("node");
                command
                    .arg("support/reference_server_main.mjs")
                    .current_dir(workspace.interop_dir())
                    .env_remove("YPERSISTENCE");
                (command, None, "reference server listening on ")
            }
            ServerKind::Ycord => {
                let data_dir = work.join("ycord-data");
                if data_dir.exists() {
                    std::fs::remove_dir_all(&data_dir)
                        .with_context(|| format!("while clearing {}", data_dir.display()))?;
                }
                let mut command = Command::new(workspace.release_binary("ycord"));
                command
                    .args(["--port", "0", "--data-dir"])
                    .arg(&data_dir)
                    .env("RUST_LOG", "warn");
                (command, Some(data_dir), "ycord listening on ")
            }
            ServerKind::YcordMemory => {
                let mut command = Command::new(workspace.release_binary("ycord"));
                command
                    .args(["--port", "0", "--ephemeral"])
                    .env("RUST_LOG", "warn");
                (command, None, "ycord listening on ")
            }
        };
        Self::spawn(command, kind.label(), pattern, log, data_dir)
    }

    /// Starts `command` (`label` in messages) with its stdout and stderr going to `log`, and
    /// waits for the stdout line that starts with `pattern`: the rest of it is the server's
    /// URL. `data_dir` is removed when the server is dropped.
    pub fn spawn(
        mut command: Command,
        label: &str,
        pattern: &'static str,
        log: &Path,
        data_dir: Option<PathBuf>,
    ) -> Result<Self> {
        let log_file =
            File::create(log).with_context(|| format!("while creating {}", log.display()))?;
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(log_file.try_clone()?)
            .spawn()
            .with_context(|| format!("while starting {label}"))?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let (found, url) = mpsc::channel();
        // Keeps draining stdout into the log so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut log_file = log_file;
            let mut found = Some(found);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(log_file, "{line}");
                if let Some(rest) = line.strip_prefix(pattern) {
                    if let Some(tx) = found.take() {
                        let _ = tx.send(rest.trim().to_owned());
                    }
                }
            }
        });
        match url.recv_timeout(START_TIMEOUT) {
            Ok(url) => Ok(ServerProcess {
                child,
                url,
                data_dir,
            }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "{label} did not report its address within {} s (log: {})",
                    START_TIMEOUT.as_secs(),
                    log.display()
                )
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
