//! A `ycord` server for tests that cannot start one themselves (code running in a browser),
//! and the HS256 secrets and tokens of an auth-enabled one.

use std::hash::{BuildHasher, RandomState};
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
        Self::start_with(binary, &[], "ycord for the browser suite")
    }

    /// Like [`start`](Self::start), but requiring tokens signed with the HS256 secret in
    /// `secret_file` (see [`write_secret_file`] and [`mint_token`]).
    pub fn start_with_auth(binary: &Path, secret_file: &Path) -> Result<Self> {
        let secret_file = secret_file.to_string_lossy();
        Self::start_with(
            binary,
            &["--auth-secret-file", &secret_file],
            "auth-enabled ycord for the browser suite",
        )
    }

    fn start_with(binary: &Path, extra_args: &[&str], role: &str) -> Result<Self> {
        let mut child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", "0", "--ephemeral"])
            .args(extra_args)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("ycord stdout was not piped")?;
        // `ycord node <id>` comes before the listening line.
        let mut printed = Vec::new();
        let url = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(
                |line| match line.trim().strip_prefix("ycord listening on ") {
                    Some(url) => Some(url.to_owned()),
                    None => {
                        printed.push(line);
                        None
                    }
                },
            );
        let Some(url) = url else {
            let _ = child.kill();
            bail!("ycord did not report where it listens (it printed {printed:?})");
        };
        println!("{role}: {url}");
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

/// Writes a fresh HS256 secret (64 hex digits) to `path`, readable by its owner only where
/// the platform has such permissions. The randomness is std's (the keys of `RandomState`, from
/// the operating system), which is plenty for a test or development server.
pub fn write_secret_file(path: &Path) -> Result<()> {
    let secret: String = (0u64..4)
        .map(|part| format!("{:016x}", RandomState::new().hash_one(part)))
        .collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    std::fs::write(path, secret).with_context(|| format!("could not write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("could not restrict {}", path.display()))?;
    }
    Ok(())
}

/// A token from `ycord token --room ROOM --access ACCESS --ttl TTL --secret-file FILE`.
pub fn mint_token(
    binary: &Path,
    secret_file: &Path,
    room: &str,
    access: &str,
    ttl: &str,
) -> Result<String> {
    let output = Command::new(binary)
        .args(["token", "--room", room, "--access", access, "--ttl", ttl])
        .arg("--secret-file")
        .arg(secret_file)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {} token", binary.display()))?;
    if !output.status.success() {
        bail!("`ycord token --room {room} --access {access}` failed");
    }
    let token = String::from_utf8(output.stdout)
        .context("ycord token printed something that is not UTF-8")?
        .trim()
        .to_string();
    if token.is_empty() {
        bail!("`ycord token --room {room} --access {access}` printed nothing");
    }
    Ok(token)
}
