//! A throwaway Redis server: `redis-server` on a free loopback port with its own temp dir and
//! no persistence (no RDB snapshots, no AOF), killed and the dir removed when dropped.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::free_port;
use crate::prereqs::redis::SERVER;
use crate::process;

/// The variable the tests read the server's URL from.
pub const URL_VARIABLE: &str = "YCORD_TEST_REDIS_URL";

/// Temp dirs are named after the xtask process, so a later run can stop the server of one
/// that was killed before it could.
const DIR_PREFIX: &str = "ycord-xtask-redis-";

/// How long the server may take to answer its first PING.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running server; killed and deleted on drop.
pub struct TestRedis {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl TestRedis {
    /// Starts `redis-server` on a free port of 127.0.0.1 and waits until it answers PING.
    pub fn start() -> Result<Self> {
        remove_stale_servers();
        let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .with_context(|| format!("while clearing {}", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("while creating {}", dir.display()))?;

        let port = free_port()?;
        let mut command = Command::new(SERVER);
        command
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .arg("--pidfile")
            .arg(dir.join("redis.pid"))
            .arg("--logfile")
            .arg(dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        println!("$ {}", process::display(&command));
        let child = command.spawn().with_context(|| {
            format!("cannot start {SERVER} (Debian: apt-get install redis-server)")
        })?;
        // From here on, dropping `server` kills it and removes the dir.
        let mut server = TestRedis { child, dir, port };
        if let Err(err) = server.wait_until_ready() {
            server.print_log();
            return Err(err.context("the test Redis server did not start"));
        }
        println!(
            "redis: listening on 127.0.0.1:{}, dir {}",
            server.port,
            server.dir.display()
        );
        Ok(server)
    }

    /// The server's process id (benchmarks read its CPU time from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The environment the tests need: `YCORD_TEST_REDIS_URL`.
    pub fn env(&self) -> [(&'static str, String); 1] {
        [(URL_VARIABLE, self.url())]
    }

    fn wait_until_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("{SERVER} exited at start ({status})");
            }
            if answers_ping(self.port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "no PONG on 127.0.0.1:{} within {START_TIMEOUT:?}",
                    self.port
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn print_log(&self) {
        let log = self.dir.join("redis.log");
        if let Ok(text) = fs::read_to_string(&log) {
            println!("--- {}\n{text}", log.display());
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        // Nothing to keep: SIGKILL is enough.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Err(err) = fs::remove_dir_all(&self.dir) {
            eprintln!("xtask: cannot remove {}: {err}", self.dir.display());
        }
    }
}

/// Whether a server on `port` answers an inline `PING` with `+PONG`.
fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

/// Kills and removes the servers of xtask runs that no longer exist (killed before they
/// could clean up), found by their dir's name and pid file.
fn remove_stale_servers() {
    for dir in super::stale_dirs(DIR_PREFIX, "redis") {
        if let Some(pid) = stale_server_pid(&dir) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

/// The pid in `dir/redis.pid`, if that process still is a `redis-server`.
fn stale_server_pid(dir: &Path) -> Option<u32> {
    let pid: u32 = fs::read_to_string(dir.join("redis.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let command = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    command.trim().starts_with(SERVER).then_some(pid)
}
