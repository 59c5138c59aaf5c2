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
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free port; the chosen one is printed).
    #[arg(long, env = "PORT", default_value_t = 1234)]
    port: u16,
    /// Largest accepted WebSocket message in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_message_size: usize,
    /// Frames queued for one connection before it is closed as a slow consumer.
    #[arg(long, default_value_t = 1024)]
    send_queue: usize,
    /// Seconds between WebSocket pings; no pong by the next ping drops the connection.
    #[arg(long, default_value_t = 30)]
    ping_interval: u64,
    /// Seconds a room stays in memory after its last connection left.
    #[arg(long, default_value_t = 10)]
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
    #[arg(long, value_enum, default_value_t = DurabilityArg::Sync)]
    durability: DurabilityArg,
    /// Milliseconds between commits with --durability batched.
    #[arg(long, default_value_t = 50)]
    batch_interval_ms: u64,
    /// Merge a room's stored updates into one snapshot once it has this many.
    #[arg(long, default_value_t = Compaction::default().max_updates)]
    compact_after_updates: u64,
    /// Merge a room's stored updates into one snapshot once they take this many bytes.
    #[arg(long, default_value_t = Compaction::default().max_bytes)]
    compact_after_bytes: u64,
    /// Serve the files of this directory to plain HTTP GETs (`/` is its index.html), next to
    /// the relay on the same port.
    #[arg(long, env = "YCORD_STATIC_DIR")]
    static_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DurabilityArg {
    Sync,
    Batched,
}

impl Args {
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
    let config = Config {
        host: args.host,
        port: args.port,
        max_message_size: args.max_message_size,
        send_queue: args.send_queue,
        ping_interval: Duration::from_secs(args.ping_interval),
        room_grace: Duration::from_secs(args.room_grace),
        storage: args.storage()?,
        durability: match args.durability {
            DurabilityArg::Sync => Durability::Sync,
            DurabilityArg::Batched => Durability::Batched {
                interval: Duration::from_millis(args.batch_interval_ms),
            },
        },
        compaction: Compaction {
            max_updates: args.compact_after_updates,
            max_bytes: args.compact_after_bytes,
        },
        static_dir: args.static_dir.clone(),
        ..Config::default()
    };
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
