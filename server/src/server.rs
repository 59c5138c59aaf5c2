//! Binding, routing and shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use ycord_persistence::DocStore;

use crate::api::Api;
use crate::auth::Secret;
use crate::cluster::{ClusterNode, ClusterSettings, NodeId, Retention};
use crate::commit::Committer;
use crate::config::{ClusterConfig, Config};
use crate::connection::ConnectionLimits;
use crate::gate::Gate;
use crate::health::HealthSource;
use crate::http_serve::{self, HttpLimits};
use crate::limits::{AllowedOrigins, ConnectionCounter, ConnectionRate, TrustedProxies};
use crate::metrics::Metrics;
use crate::room_stats::RoomStats;
use crate::room_task::{self, RoomContext};
use crate::rooms::Rooms;
use crate::routes::{self, RouteContext};
use crate::storage;

/// A running server. Call [`Server::shutdown`] to stop it: it closes every socket with 1001 and
/// waits until the store has committed everything. Dropping the server instead stops
/// accepting and closes the sockets too, but does not wait for the store.
pub struct Server {
    addr: SocketAddr,
    node: NodeId,
    rooms: Arc<Rooms>,
    context: Arc<RoomContext>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen: {0}")]
    Listen(#[from] io::Error),
    /// The store could not be opened.
    #[error("cannot open the store: {0}")]
    Store(#[from] ycord_persistence::StoreError),
    /// The settings contradict each other.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The cluster settings cannot be used (a Redis URL the client does not accept).
    #[error("cannot join the cluster: {0}")]
    Cluster(String),
}

/// A cluster needs a store every node reaches.
fn check_cluster_store(config: &Config) -> Result<(), StartError> {
    #[cfg(feature = "postgres")]
    let is_shared = matches!(config.storage, crate::config::Storage::Postgres(_));
    #[cfg(not(feature = "postgres"))]
    let is_shared = false;
    if config.cluster.is_some() && !is_shared {
        return Err(StartError::Config(
            "a cluster's nodes share one PostgreSQL database: pass --database-url postgres://… \
             with --redis-url"
                .into(),
        ));
    }
    Ok(())
}

fn cluster_settings(cluster: &ClusterConfig, max_document_size: usize) -> ClusterSettings {
    ClusterSettings {
        redis_url: cluster.redis_url.clone(),
        retention: Retention {
            max_len: cluster.stream_max_len.max(1),
            key_ttl: cluster.stream_ttl.max(Duration::from_secs(1)),
        },
        heartbeat_ttl: cluster.heartbeat_ttl.max(Duration::from_millis(300)),
        max_payload: max_document_size,
    }
}

/// The secret of the development token endpoint, when it is switched on.
fn dev_token_secret(config: &Config) -> Result<Option<Secret>, StartError> {
    if !config.dev_token_endpoint {
        return Ok(None);
    }
    match config.auth.as_ref().and_then(|auth| auth.secret.clone()) {
        Some(secret) => Ok(Some(secret)),
        None => Err(StartError::Config(
            "the development token endpoint mints with the HS256 secret: configure one".into(),
        )),
    }
}

impl Server {
    /// Opens the configured store, binds the listener and starts serving in the background.
    ///
    /// # Errors
    /// When the store cannot be opened, the address cannot be bound, or the settings
    /// contradict each other.
    pub async fn bind(config: Config) -> Result<Server, StartError> {
        check_cluster_store(&config)?;
        let store = storage::open(&config.storage).await?;
        Self::bind_with_store(config, store).await
    }

    /// Like [`Server::bind`], with a store the caller opened (`config.storage` is ignored).
    ///
    /// # Errors
    /// When the address cannot be bound, or the development token endpoint is on without an
    /// HS256 secret.
    pub async fn bind_with_store(
        config: Config,
        store: Arc<dyn DocStore>,
    ) -> Result<Server, StartError> {
        let listener = listen(SocketAddr::new(config.host, config.port))?;
        let addr = listener.local_addr()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let metrics = Arc::new(Metrics::default());
        let cluster = match &config.cluster {
            Some(cluster) => Some(
                ClusterNode::new(
                    &cluster_settings(cluster, config.limits.max_document_size),
                    Arc::clone(&metrics),
                )
                .map_err(|err| StartError::Cluster(err.to_string()))?,
            ),
            None => None,
        };
        let node = cluster
            .as_ref()
            .map_or_else(NodeId::generate, |cluster| cluster.id());
        let context = Arc::new(RoomContext {
            store: Arc::clone(&store),
            committer: Committer::start(
                Arc::clone(&store),
                config.durability.linger(),
                Arc::clone(&metrics),
            ),
            metrics: Arc::clone(&metrics),
            durability: config.durability,
            compaction: config.compaction,
            grace: config.room_grace,
            max_document_size: config.limits.max_document_size,
            shutdown: shutdown_rx.clone(),
            cluster: cluster.clone(),
        });
        let room_context = Arc::clone(&context);
        let rooms = Rooms::new(Box::new(move |rooms, name, generation, inbox| {
            let context = Arc::clone(&room_context);
            tokio::spawn(room_task::run(rooms, name, generation, inbox, context));
        }));
        if let Some(cluster) = &cluster {
            cluster.start(&rooms);
        }
        let limits = ConnectionLimits {
            max_message_size: config.max_message_size,
            send_queue: config.send_queue,
            ping_interval: config.ping_interval,
            write_timeout: config.write_timeout,
            rate: ConnectionRate::new(&config.limits, config.max_message_size),
        };
        let origins = AllowedOrigins::new(&config.limits.allowed_origins)
            .map_err(|err| StartError::Config(err.to_string()))?;

        let gate = Gate::new(config.auth.as_ref(), Arc::clone(&metrics));
        let api = Api {
            rooms: Arc::clone(&rooms),
            store,
            metrics: Arc::clone(&metrics),
            gate: gate.clone(),
            max_body: config.max_message_size,
        };
        let routes = routes::all(RouteContext {
            rooms: Arc::clone(&rooms),
            api,
            gate,
            metrics,
            limits,
            shutdown: shutdown_rx,
            metrics_access: config.metrics_access,
            dev_token_secret: dev_token_secret(&config)?,
            connections: ConnectionCounter::new(&config.limits),
            origins,
            proxies: TrustedProxies::new(&config.limits.trusted_proxies),
            static_dir: config.static_dir.clone(),
            health: HealthSource {
                rooms: Arc::clone(&rooms),
                node,
                cluster,
            },
        });

        let http_limits = HttpLimits {
            header_read_timeout: config.limits.handshake_timeout,
            max_header_bytes: config.limits.max_header_bytes,
        };
        let task = tokio::spawn(http_serve::serve(
            listener,
            routes,
            shutdown.subscribe(),
            http_limits,
        ));
        Ok(Server {
            addr,
            node,
            rooms,
            context,
            shutdown,
            task,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// This process's node id (32 hex digits), generated at start; `/health` shows it too.
    pub fn node_id(&self) -> String {
        self.node.to_string()
    }

    /// `ws://host:port`, to which clients append `/<room>`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// `http://host:port`, the base of `/health`, `/metrics` and `/api/`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Rooms loaded and connections open.
    pub fn stats(&self) -> RoomStats {
        self.rooms.stats()
    }

    /// The server's counters.
    pub fn metrics(&self) -> &Metrics {
        &self.context.metrics
    }

    /// Stops accepting, closes every WebSocket with 1001, lets every room finish storing
    /// what it has, and waits until the store has committed it all.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let stats = self.rooms.stats();
            if (stats.rooms, stats.connections) == (0, 0) || tokio::time::Instant::now() >= deadline
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.context.committer.flush().await;
    }
}

/// A listener whose accepted sockets inherit `TCP_NODELAY` (Linux copies it from the listening
/// socket): without it a busy room shows a flat ~40 ms latency floor from Nagle's algorithm.
fn listen(addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_tcp_nodelay(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    tokio::net::TcpListener::from_std(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_sockets_have_nodelay() {
        let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
