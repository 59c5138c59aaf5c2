//! A `ycord` server for tests that cannot start one themselves (code running in a browser).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context, Result};

/// A `ycord --port 0 --ephemeral` process; killed when dropped.
pub struct TestYcord {
    child: Child,
    url: String,
}

impl TestYcord {
    /// Starts `binary` on an ephemeral loopback port and waits for its listening line.
    pub fn start(binary: &Path) -> Result<Self> {
        let mut child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", "0", "--ephemeral"])
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("ycord stdout was not piped")?;
        let mut first_line = String::new();
        BufReader::new(stdout)
            .read_line(&mut first_line)
            .context("while reading ycord's listening line")?;
        let Some(url) = first_line.trim().strip_prefix("ycord listening on ") else {
            let _ = child.kill();
            bail!("ycord did not report where it listens (it printed {first_line:?})");
        };
        println!("ycord for the browser suite: {url}");
        Ok(TestYcord {
            url: url.to_string(),
            child,
        })
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestYcord {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
