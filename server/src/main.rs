//! `ycord` — run the relay server.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use ycord_server::{Compaction, Config, Durability, Server, Storage};

/// A Yjs relay server, a drop-in for the Node y-websocket server.
#[derive(Debug, Parser)]
#[command(name = "ycord", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value_t = Config::default().host)]
    host: IpAddr,
    /// Port to listen on (0 picks a free port; the chosen one is printed).
    #[arg(long, env = "PORT", default_value_t = Config::default().port)]
    port: u16,
    /// Largest accepted WebSocket message in bytes.
    #[arg(long, default_value_t = Config::default().max_message_size)]
    max_message_size: usize,
    /// Frames queued for one connection before it is closed as a slow consumer.
    #[arg(long, default_value_t = Config::default().send_queue)]
    send_queue: usize,
    /// Seconds between WebSocket pings; no pong by the next ping drops the connection.
    #[arg(long, default_value_t = Config::default().ping_interval.as_secs())]
    ping_interval: u64,
    /// Seconds a room stays in memory after its last connection left.
    #[arg(long, default_value_t = Config::default().room_grace.as_secs())]
    room_grace: u64,
    /// Directory of the embedded store (one SQLite file, created when missing).
    #[arg(long, env = "YCORD_DATA_DIR", default_value = "./ycord-data")]
    data_dir: PathBuf,
    /// Store documents in PostgreSQL instead (`postgres://user@host:port/db`); the schema is
    /// created on start.
    #[arg(long, env = "DATABASE_URL", conflicts_with = "ephemeral")]
    database_url: Option<String>,
    /// Keep documents in memory only: everything is lost when the server stops.
    #[arg(long)]
    ephemeral: bool,
    /// `sync`: an update is echoed only once stored (nothing echoed is ever lost).
    /// `batched`: echoed at once, stored every --batch-interval-ms (a crash loses at most that).
    #[arg(long, value_enum, default_value_t = DurabilityArg::from(Config::default().durability))]
    durability: DurabilityArg,
    /// Milliseconds between commits with --durability batched.
    #[arg(long, default_value_t = DEFAULT_BATCH_INTERVAL_MS)]
    batch_interval_ms: u64,
    /// Merge a room's stored updates into one snapshot once it has this many.
    #[arg(long, default_value_t = Config::default().compaction.max_updates)]
    compact_after_updates: u64,
    /// Merge a room's stored updates into one snapshot once they take this many bytes.
    #[arg(long, default_value_t = Config::default().compaction.max_bytes)]
    compact_after_bytes: u64,
    /// Serve the files of this directory to plain HTTP GETs (`/` is its index.html), next to
    /// the relay on the same port.
    #[arg(long, env = "YCORD_STATIC_DIR")]
    static_dir: Option<PathBuf>,
}

/// Milliseconds between commits with `--durability batched` unless told otherwise (the
/// library's [`Durability::Batched`] has no default interval).
const DEFAULT_BATCH_INTERVAL_MS: u64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DurabilityArg {
    Sync,
    Batched,
}

impl From<Durability> for DurabilityArg {
    fn from(durability: Durability) -> Self {
        match durability {
            Durability::Sync => DurabilityArg::Sync,
            Durability::Batched { .. } => DurabilityArg::Batched,
        }
    }
}

impl Args {
    /// The server's settings; those without a flag keep [`Config::default`]'s.
    fn config(&self) -> anyhow::Result<Config> {
        Ok(Config {
            host: self.host,
            port: self.port,
            max_message_size: self.max_message_size,
            send_queue: self.send_queue,
            ping_interval: Duration::from_secs(self.ping_interval),
            room_grace: Duration::from_secs(self.room_grace),
            storage: self.storage()?,
            durability: match self.durability {
                DurabilityArg::Sync => Durability::Sync,
                DurabilityArg::Batched => Durability::Batched {
                    interval: Duration::from_millis(self.batch_interval_ms),
                },
            },
            compaction: Compaction {
                max_updates: self.compact_after_updates,
                max_bytes: self.compact_after_bytes,
            },
            static_dir: self.static_dir.clone(),
            ..Config::default()
        })
    }

    fn storage(&self) -> anyhow::Result<Storage> {
        if self.ephemeral {
            return Ok(Storage::Memory);
        }
        match &self.database_url {
            None => Ok(Storage::Embedded(self.data_dir.clone())),
            #[cfg(feature = "postgres")]
            Some(url) => Ok(Storage::Postgres(url.clone())),
            #[cfg(not(feature = "postgres"))]
            Some(_) => anyhow::bail!("this ycord was built without the `postgres` feature"),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let config = args.config()?;
    let storage = config.storage.to_string();
    let server = Server::bind(config)
        .await
        .with_context(|| format!("while binding {}:{}", args.host, args.port))?;
    // Scripts and tests read this line to learn the port when started with --port 0.
    println!("ycord listening on {}", server.ws_url());
    tracing::info!(addr = %server.local_addr(), storage = %storage, "listening");

    wait_for_signal().await?;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate =
        signal(SignalKind::terminate()).context("while installing SIGTERM handler")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("while waiting for SIGINT")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn flags_left_out_keep_the_library_defaults() {
        // Only flags without an environment variable: the test's environment cannot change them.
        let config = Args::try_parse_from(["ycord", "--ephemeral"])
            .expect("no flags needed")
            .config()
            .expect("a valid config");
        let default = Config::default();
        assert_eq!(config.max_message_size, default.max_message_size);
        assert_eq!(config.send_queue, default.send_queue);
        assert_eq!(config.ping_interval, default.ping_interval);
        assert_eq!(config.room_grace, default.room_grace);
        assert_eq!(config.write_timeout, default.write_timeout);
        assert_eq!(config.durability, default.durability);
        assert_eq!(config.compaction, default.compaction);
        assert_eq!(config.storage, Storage::Memory);
    }
}
