//! `ycord` — run the relay server.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use ycord_server::auth::{Access, AuthConfig, Claims, PublicKey, Secret};
use ycord_server::{
    ClusterConfig, Compaction, Config, Durability, Limits, MetricsAccess, Server, Storage,
};

/// A Yjs relay server, a drop-in for the Node y-websocket server.
#[derive(Debug, Parser)]
#[command(name = "ycord", version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
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
    /// Join a cluster: several ycord nodes serving the same rooms, sharing the PostgreSQL
    /// database of --database-url and carrying updates between them on Redis streams
    /// (`redis://host:port[/db]`).
    #[arg(long, env = "YCORD_REDIS_URL", requires = "database_url")]
    redis_url: Option<String>,
    /// Entries each room's Redis stream keeps (trimmed with XADD MAXLEN ~).
    #[arg(long, default_value_t = ClusterConfig::new("").stream_max_len)]
    redis_stream_max_len: usize,
    /// Seconds an idle room's Redis stream lives after its last entry.
    #[arg(long, default_value_t = ClusterConfig::new("").stream_ttl.as_secs())]
    redis_key_ttl: u64,
    /// Seconds after which a node that stopped renewing its heartbeat counts as dead (its
    /// clients' presence is removed on the other nodes).
    #[arg(long, default_value_t = ClusterConfig::new("").heartbeat_ttl.as_secs())]
    node_heartbeat_ttl: u64,
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
    /// Require tokens signed with this HS256 secret (a file of at least 32 bytes; a trailing
    /// newline is ignored). `YCORD_AUTH_SECRET` gives the secret itself instead.
    #[arg(long, env = "YCORD_AUTH_SECRET_FILE")]
    auth_secret_file: Option<PathBuf>,
    /// Require tokens signed for this EdDSA or ES256 public key (PEM; the token's `kid` is the
    /// file name without extension). Repeatable.
    #[arg(long)]
    auth_public_key: Vec<PathBuf>,
    /// Accept only tokens whose `aud` names this audience.
    #[arg(long, env = "YCORD_AUTH_AUDIENCE")]
    auth_audience: Option<String>,
    /// Seconds of clock skew tolerated on a token's `exp` and `nbf`.
    #[arg(long, default_value_t = 0)]
    auth_leeway: u64,
    /// Do not relay the awareness (cursors, names) of read-only connections.
    #[arg(long)]
    drop_read_only_awareness: bool,
    /// Who may read /metrics: `loopback` clients, holders of an `admin` token, or anyone (`open`).
    #[arg(long, value_enum, default_value_t = MetricsAccessArg::Loopback)]
    metrics_access: MetricsAccessArg,
    /// Serve GET /dev/token?room=R&access=rw|ro, minting tokens for anyone who asks. For
    /// demos on your own machine only, never on a server others can reach.
    #[arg(long)]
    dev_token_endpoint: bool,
    /// Open WebSocket connections on the server; more are refused with HTTP 503.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Open WebSocket connections to one room; more are refused with HTTP 503.
    #[arg(long, default_value_t = Limits::default().max_connections_per_room)]
    max_connections_per_room: usize,
    /// Open WebSocket connections from one IPv4 address or IPv6 /64; more are refused with
    /// HTTP 429. Loopback clients are exempt unless --limit-loopback.
    #[arg(long, default_value_t = Limits::default().max_connections_per_ip)]
    max_connections_per_ip: usize,
    /// Apply --max-connections-per-ip to loopback clients too (not behind a local proxy).
    #[arg(long)]
    limit_loopback: bool,
    /// Messages per second one connection may send on average; over it, closed with 1008.
    #[arg(long, default_value_t = Limits::default().messages_per_second)]
    messages_per_second: u32,
    /// Messages one connection may send at once above --messages-per-second.
    #[arg(long, default_value_t = Limits::default().message_burst)]
    message_burst: u32,
    /// Bytes per second one connection may send on average; over it, closed with 1008.
    #[arg(long, default_value_t = Limits::default().bytes_per_second)]
    bytes_per_second: usize,
    /// Bytes one connection may send at once above --bytes-per-second (never less than
    /// --max-message-size).
    #[arg(long, default_value_t = Limits::default().byte_burst)]
    byte_burst: usize,
    /// Bytes of a room's document (as one update); an update past it is refused (4413).
    #[arg(long, default_value_t = Limits::default().max_document_size)]
    max_document_size: usize,
    /// Seconds a client has to send its request headers; then it is dropped.
    #[arg(long, default_value_t = Limits::default().handshake_timeout.as_secs())]
    handshake_timeout: u64,
    /// Bytes of one request's headers; larger requests get HTTP 431.
    #[arg(long, default_value_t = Limits::default().max_header_bytes)]
    max_header_bytes: usize,
    /// A browser origin (scheme://host[:port]) allowed to open a WebSocket; others get 403.
    /// Repeatable; without it every origin is allowed.
    #[arg(long)]
    allowed_origin: Vec<String>,
    /// A reverse proxy in front of the server (repeatable): a request from it counts as the
    /// client it names last in X-Forwarded-For, for --max-connections-per-ip and /metrics.
    #[arg(long)]
    trusted_proxy: Vec<IpAddr>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a token signed with the HS256 secret (for development and tests).
    Token {
        /// The room, or a prefix ending in `*` (`team-a/*`); `*` alone is an admin token.
        #[arg(long)]
        room: String,
        /// `rw` (read and write) or `ro` (read only).
        #[arg(long, value_enum, default_value_t = AccessArg::Rw)]
        access: AccessArg,
        /// How long the token is valid: `90s`, `30m`, `1h`, `7d`.
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        ttl: Duration,
        /// Who holds it (shown in logs and the room's connection list).
        #[arg(long)]
        sub: Option<String>,
        /// The audience (`aud`).
        #[arg(long)]
        aud: Option<String>,
        /// The secret file; `YCORD_AUTH_SECRET` gives the secret itself instead.
        #[arg(long, env = "YCORD_AUTH_SECRET_FILE")]
        secret_file: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AccessArg {
    Rw,
    Ro,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MetricsAccessArg {
    Loopback,
    Admin,
    Open,
}

/// `90s`, `30m`, `1h`, `7d`, or plain seconds.
fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90s, 30m, 1h or 7d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit is s, m, h or d")),
    };
    if number == 0 {
        return Err("a token must live at least one second".into());
    }
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

/// The HS256 secret from `YCORD_AUTH_SECRET` or a file.
fn read_secret(file: Option<&PathBuf>) -> anyhow::Result<Option<Secret>> {
    if let Some(path) = file {
        return Ok(Some(Secret::from_file(path)?));
    }
    match std::env::var_os("YCORD_AUTH_SECRET") {
        Some(secret) => {
            let secret = secret
                .into_string()
                .map_err(|_| anyhow::anyhow!("YCORD_AUTH_SECRET is not valid UTF-8"))?;
            Ok(Some(Secret::checked(secret.into_bytes())?))
        }
        None => Ok(None),
    }
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
            auth: self.auth()?,
            metrics_access: match self.metrics_access {
                MetricsAccessArg::Loopback => MetricsAccess::Loopback,
                MetricsAccessArg::Admin => MetricsAccess::AdminToken,
                MetricsAccessArg::Open => MetricsAccess::Open,
            },
            dev_token_endpoint: self.dev_token_endpoint,
            cluster: self.redis_url.as_ref().map(|url| ClusterConfig {
                stream_max_len: self.redis_stream_max_len,
                stream_ttl: Duration::from_secs(self.redis_key_ttl),
                heartbeat_ttl: Duration::from_secs(self.node_heartbeat_ttl),
                ..ClusterConfig::new(url.clone())
            }),
            limits: Limits {
                max_connections: self.max_connections,
                max_connections_per_room: self.max_connections_per_room,
                max_connections_per_ip: self.max_connections_per_ip,
                exempt_loopback_from_ip_limit: !self.limit_loopback,
                messages_per_second: self.messages_per_second,
                message_burst: self.message_burst,
                bytes_per_second: self.bytes_per_second,
                byte_burst: self.byte_burst,
                max_document_size: self.max_document_size,
                handshake_timeout: Duration::from_secs(self.handshake_timeout),
                max_header_bytes: self.max_header_bytes,
                allowed_origins: self.allowed_origin.clone(),
                trusted_proxies: self.trusted_proxy.clone(),
            },
            ..Config::default()
        })
    }

    fn auth(&self) -> anyhow::Result<Option<AuthConfig>> {
        let secret = read_secret(self.auth_secret_file.as_ref())?;
        let public_keys = self
            .auth_public_key
            .iter()
            .map(|path| PublicKey::from_file(path))
            .collect::<Result<Vec<_>, _>>()?;
        if secret.is_none() && public_keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(AuthConfig {
            secret,
            public_keys,
            audience: self.auth_audience.clone(),
            leeway: Duration::from_secs(self.auth_leeway),
            relay_read_only_awareness: !self.drop_read_only_awareness,
        }))
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
            // PostgreSQL's notices ("relation … already exists, skipping" on every start) are
            // not news to an operator.
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tokio_postgres=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    if let Some(Command::Token {
        room,
        access,
        ttl,
        sub,
        aud,
        secret_file,
    }) = &args.command
    {
        let secret = read_secret(secret_file.as_ref())?
            .context("no secret: pass --secret-file FILE or set YCORD_AUTH_SECRET")?;
        let access = match access {
            AccessArg::Rw => Access::ReadWrite,
            AccessArg::Ro => Access::ReadOnly,
        };
        let mut claims = Claims::new(room.clone(), access, *ttl);
        claims.sub = sub.clone();
        claims.aud = aud.clone().map(ycord_server::auth::Audience::One);
        println!(
            "{}",
            ycord_server::auth::mint_hs256(secret.as_bytes(), &claims)
        );
        return Ok(());
    }
    let config = args.config()?;
    if config.auth.is_none() {
        tracing::warn!(
            "running open: no --auth-secret-file, YCORD_AUTH_SECRET or --auth-public-key, so \
             anyone who reaches this port can read, write and delete every room"
        );
    }
    let storage = config.storage.to_string();
    let server = Server::bind(config)
        .await
        .with_context(|| format!("while binding {}:{}", args.host, args.port))?;
    println!("ycord node {}", server.node_id());
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
    fn token_lifetimes_read_with_their_units() {
        assert_eq!(parse_ttl("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_ttl("45"), Ok(Duration::from_secs(45)));
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("h").is_err());
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
        assert_eq!(config.limits, default.limits);
    }
}
