//! `ycord` — run the relay server.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use ycord_server::{Config, Server};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = Config {
        host: args.host,
        port: args.port,
        max_message_size: args.max_message_size,
        send_queue: args.send_queue,
        ping_interval: Duration::from_secs(args.ping_interval),
        room_grace: Duration::from_secs(args.room_grace),
        ..Config::default()
    };
    let server = Server::bind(config)
        .await
        .with_context(|| format!("while binding {}:{}", args.host, args.port))?;
    // Scripts and tests read this line to learn the port when started with --port 0.
    println!("ycord listening on {}", server.ws_url());
    tracing::info!(addr = %server.local_addr(), "listening");

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
