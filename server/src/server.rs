//! Binding, routing and shutdown.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use warp::filters::path::Tail;
use warp::{Filter, Reply};
use ycord_persistence::DocStore;

use crate::api::{Api, QuarantineQuery};
use crate::commit::Committer;
use crate::config::Config;
use crate::connection::{self, ConnectionLimits};
use crate::health;
use crate::metrics::Metrics;
use crate::room_stats::RoomStats;
use crate::room_task::{self, RoomContext};
use crate::rooms::Rooms;
use crate::storage;
use crate::upgrade::{self, UpgradeRequest};

/// A running server. Call [`Server::shutdown`] to stop it: it closes every socket with 1001 and
/// waits until the store has committed everything. Dropping the server instead stops
/// accepting and closes the sockets too, but does not wait for the store.
pub struct Server {
    addr: SocketAddr,
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
}

impl Server {
    /// Opens the configured store, binds the listener and starts serving in the background.
    ///
    /// # Errors
    /// When the store cannot be opened or the address cannot be bound.
    pub async fn bind(config: Config) -> Result<Server, StartError> {
        let store = storage::open(&config.storage).await?;
        Ok(Self::bind_with_store(config, store).await?)
    }

    /// Like [`Server::bind`], with a store the caller opened (`config.storage` is ignored).
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn bind_with_store(config: Config, store: Arc<dyn DocStore>) -> io::Result<Server> {
        let listener = listen(SocketAddr::new(config.host, config.port))?;
        let addr = listener.local_addr()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let metrics = Arc::new(Metrics::default());
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
            shutdown: shutdown_rx.clone(),
        });
        let room_context = Arc::clone(&context);
        let rooms = Rooms::new(Box::new(move |rooms, name, generation, inbox| {
            let context = Arc::clone(&room_context);
            tokio::spawn(room_task::run(rooms, name, generation, inbox, context));
        }));
        let limits = ConnectionLimits {
            max_message_size: config.max_message_size,
            send_queue: config.send_queue,
            ping_interval: config.ping_interval,
            write_timeout: config.write_timeout,
        };

        let ws_rooms = Arc::clone(&rooms);
        let websocket = upgrade::websocket().map(move |request: UpgradeRequest| {
            // The room is the raw path after the leading '/', as the Node server does.
            let path = request.path.as_str();
            let room = path.strip_prefix('/').unwrap_or(path).to_owned();
            let rooms = Arc::clone(&ws_rooms);
            let limits = limits.clone();
            let shutdown = shutdown_rx.clone();
            request.accept(limits.max_message_size, move |socket| {
                connection::serve(socket, room, rooms, limits, shutdown)
            })
        });

        let health_rooms = Arc::clone(&rooms);
        let health = warp::path!("health")
            .and(warp::get())
            .map(move || health::report(&health_rooms));
        let metrics_rooms = Arc::clone(&rooms);
        let api_metrics = Arc::clone(&metrics);
        let metrics_route = warp::path!("metrics").and(warp::get()).map(move || {
            warp::reply::with_header(
                metrics.render(metrics_rooms.stats()),
                "content-type",
                Metrics::CONTENT_TYPE,
            )
        });

        let api = Api {
            rooms: Arc::clone(&rooms),
            store,
            metrics: api_metrics,
        };
        let with_api = warp::any().map(move || api.clone());
        let list = warp::path!("api" / "rooms")
            .and(warp::get())
            .and(with_api.clone())
            .then(|api: Api| async move { api.list().await });
        let get = warp::path("api")
            .and(warp::path("rooms"))
            .and(warp::path::tail())
            .and(warp::get())
            .and(warp::query::<HashMap<String, String>>())
            .and(with_api.clone())
            .then(
                |tail: Tail, query: HashMap<String, String>, api: Api| async move {
                    let as_json = query.get("format").is_some_and(|f| f == "json");
                    api.get(tail.as_str(), as_json).await
                },
            );
        let post = warp::path("api")
            .and(warp::path("rooms"))
            .and(warp::path::tail())
            .and(warp::post())
            .and(warp::body::content_length_limit(
                config.max_message_size as u64,
            ))
            .and(warp::body::bytes())
            .and(with_api.clone())
            .and_then(|tail: Tail, body: Bytes, api: Api| async move {
                match tail.as_str().strip_suffix("/update") {
                    Some(room) => Ok(api.apply(room, body).await),
                    None => Err(warp::reject::not_found()),
                }
            });
        let delete = warp::path("api")
            .and(warp::path("rooms"))
            .and(warp::path::tail())
            .and(warp::delete())
            .and(with_api.clone())
            .then(|tail: Tail, api: Api| async move { api.delete(tail.as_str()).await });
        // The quarantine has its own prefix: room names may contain '/', so a suffix after
        // the room could not be told apart from a room's name.
        let quarantine_get = warp::path("api")
            .and(warp::path("quarantine"))
            .and(warp::path::tail())
            .and(warp::get())
            .and(warp::query::<QuarantineQuery>())
            .and(with_api.clone())
            .then(|tail: Tail, query: QuarantineQuery, api: Api| async move {
                match query.seq {
                    Some(seq) => api.quarantined_update(tail.as_str(), seq).await,
                    None => api.quarantined(tail.as_str()).await,
                }
            });
        let quarantine_delete = warp::path("api")
            .and(warp::path("quarantine"))
            .and(warp::path::tail())
            .and(warp::delete())
            .and(warp::query::<QuarantineQuery>())
            .and(with_api)
            .then(|tail: Tail, query: QuarantineQuery, api: Api| async move {
                api.delete_quarantined(tail.as_str(), query.seq).await
            });

        // Last, so that the relay and the API take precedence over a file of the same name.
        let files = match config.static_dir.clone() {
            Some(dir) => warp::get()
                .and(warp::fs::dir(dir))
                .map(|file: warp::fs::File| file.into_response())
                .boxed(),
            None => warp::any()
                .and_then(|| async { Err::<warp::reply::Response, _>(warp::reject::not_found()) })
                .boxed(),
        };
        // Without this, a GET nothing answers gets warp's 400 about the missing upgrade header
        // of the WebSocket route, which misleads whoever opened the URL in a browser.
        let nothing_here = warp::get().map(|| {
            warp::reply::with_status(
                "not found: rooms are WebSocket URLs (ws://host:port/<room>)\n",
                warp::http::StatusCode::NOT_FOUND,
            )
            .into_response()
        });

        let mut stop = shutdown.subscribe();
        let routes = websocket
            .or(health)
            .or(metrics_route)
            .or(list)
            .or(get)
            .or(post)
            .or(delete)
            .or(quarantine_get)
            .or(quarantine_delete)
            .or(files)
            .or(nothing_here);
        let task = tokio::spawn(
            warp::serve(routes)
                .incoming(listener)
                .graceful(async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                })
                .run(),
        );
        Ok(Server {
            addr,
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
