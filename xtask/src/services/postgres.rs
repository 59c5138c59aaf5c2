//! A throwaway PostgreSQL server: `initdb` in a temp dir, `pg_ctl start` on a free loopback
//! port, one database, `pg_ctl stop -m immediate` and the dir removed when dropped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::free_port;
use crate::prereqs::{postgres::bin_dir, system};
use crate::process;

/// The variable the tests read the server's URL from.
pub const URL_VARIABLE: &str = "YCORD_TEST_POSTGRES_URL";

const DATABASE: &str = "ycord_test";

/// Temp dirs are named after the xtask process, so a later run can clean up after one that
/// was killed before it could.
const DIR_PREFIX: &str = "ycord-xtask-postgres-";

/// Lines of the server log shown when it does not start.
const LOG_TAIL_LINES: usize = 30;

/// A running server; stopped and deleted on drop.
pub struct TestPostgres {
    bin: PathBuf,
    dir: PathBuf,
    /// Root runs the server as the `postgres` OS user: initdb and postgres refuse root.
    as_root: bool,
    port: u16,
    running: bool,
}

impl TestPostgres {
    /// Creates a cluster in a new temp dir and starts it on a free port of 127.0.0.1, with
    /// trust authentication for the `postgres` role and a database `ycord_test`.
    pub fn start() -> Result<Self> {
        let bin = bin_dir().context(
            "PostgreSQL server binaries not found (Debian: apt-get install postgresql; \
             `cargo xtask test` installs them when run as root)",
        )?;
        let as_root = system::is_root();
        remove_stale_servers(&bin, as_root);

        let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .with_context(|| format!("while clearing {}", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("while creating {}", dir.display()))?;
        // From here on, dropping `server` cleans up whatever was created.
        let mut server = TestPostgres {
            bin,
            dir,
            as_root,
            port: 0,
            running: false,
        };
        if as_root {
            let mut chown = Command::new("chown");
            chown.args(["postgres:postgres"]).arg(&server.dir);
            quiet(&mut chown)?;
        }

        let data = server.data_dir();
        let mut initdb = server.command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        quiet(&mut initdb).context("while creating the test cluster (initdb)")?;

        server.port = free_port()?;
        let options = format!(
            "-p {} -h 127.0.0.1 -k '{}'",
            server.port,
            server.dir.display()
        );
        let mut start = server.command("pg_ctl");
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(server.log_file())
            .args(["-o", &options, "-w", "-t", "60", "start"]);
        if let Err(err) = quiet(&mut start) {
            server.print_log();
            return Err(err.context("the test PostgreSQL server did not start"));
        }
        server.running = true;

        let port = server.port.to_string();
        let mut createdb = server.command("createdb");
        createdb.args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", DATABASE]);
        quiet(&mut createdb).context("while creating the test database")?;

        println!(
            "postgresql: listening on 127.0.0.1:{}, data in {}",
            server.port,
            server.dir.display()
        );
        Ok(server)
    }

    /// `postgres://postgres@127.0.0.1:<port>/ycord_test`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// The environment the tests need: `YCORD_TEST_POSTGRES_URL`.
    pub fn env(&self) -> [(&'static str, String); 1] {
        [(URL_VARIABLE, self.url())]
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// A PostgreSQL program, run as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        server_command(&self.bin, program, self.as_root, &self.dir)
    }

    fn print_log(&self) {
        let Ok(log) = fs::read_to_string(self.log_file()) else {
            return;
        };
        let lines: Vec<&str> = log.lines().collect();
        let start = lines.len().saturating_sub(LOG_TAIL_LINES);
        println!(
            "--- {} (last {} lines)",
            self.log_file().display(),
            lines.len() - start
        );
        for line in &lines[start..] {
            println!("{line}");
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        if self.running {
            stop(&self.bin, &self.dir, self.as_root);
        }
        if let Err(err) = fs::remove_dir_all(&self.dir) {
            eprintln!("xtask: cannot remove {}: {err}", self.dir.display());
        }
    }
}

fn server_command(bin: &Path, program: &str, as_root: bool, dir: &Path) -> Command {
    let program = bin.join(program);
    let mut command = if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    // The server user may not be allowed into the caller's directory.
    command.current_dir(dir);
    command
}

/// `pg_ctl stop -m immediate`: no checkpoint, the data is thrown away anyway.
fn stop(bin: &Path, dir: &Path, as_root: bool) {
    let mut command = server_command(bin, "pg_ctl", as_root, dir);
    command
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-m", "immediate", "-w", "stop"]);
    if let Err(err) = quiet(&mut command) {
        eprintln!("xtask: cannot stop the test PostgreSQL server: {err:#}");
    }
}

/// Stops and removes the servers of xtask runs that no longer exist (killed before they
/// could clean up).
fn remove_stale_servers(bin: &Path, as_root: bool) {
    for dir in super::stale_dirs(DIR_PREFIX, "postgresql") {
        if dir.join("data").join("postmaster.pid").exists() {
            stop(bin, &dir, as_root);
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

/// Runs `command`, showing its output only when it fails.
fn quiet(command: &mut Command) -> Result<()> {
    println!("$ {}", process::display(command));
    let output = command
        .output()
        .with_context(|| format!("cannot start `{}`", process::display(command)))?;
    if !output.status.success() {
        bail!(
            "`{}` failed ({}):\n{}{}",
            process::display(command),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
