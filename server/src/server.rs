//! Binding, routing and shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use warp::filters::path::FullPath;
use warp::Filter;

use crate::config::Config;
use crate::connection::{self, ConnectionLimits};
use crate::health;
use crate::rooms::{RoomStats, Rooms};
use crate::store::MemoryStore;

/// A running server. Dropping it leaves the server running until the runtime ends; call
/// [`Server::shutdown`] to close every socket with 1001 first.
pub struct Server {
    addr: SocketAddr,
    rooms: Arc<Rooms>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Server {
    /// Binds the listener and starts serving in the background.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn bind(config: Config) -> io::Result<Server> {
        let listener = listen(SocketAddr::new(config.host, config.port))?;
        let addr = listener.local_addr()?;
        let rooms = Rooms::new(MemoryStore::default(), config.room_grace);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let limits = ConnectionLimits {
            max_message_size: config.max_message_size,
            send_queue: config.send_queue,
            ping_interval: config.ping_interval,
            write_timeout: config.write_timeout,
        };

        let health_rooms = Arc::clone(&rooms);
        let health = warp::path("health")
            .and(warp::path::end())
            .and(warp::get())
            .map(move || health::report(&health_rooms));

        let ws_rooms = Arc::clone(&rooms);
        let websocket =
            warp::path::full()
                .and(warp::ws())
                .map(move |path: FullPath, ws: warp::ws::Ws| {
                    // The room is the raw path after the leading '/', as the Node server does.
                    let room = path
                        .as_str()
                        .strip_prefix('/')
                        .unwrap_or(path.as_str())
                        .to_owned();
                    let rooms = Arc::clone(&ws_rooms);
                    let limits = limits.clone();
                    let shutdown = shutdown_rx.clone();
                    ws.max_message_size(limits.max_message_size)
                        .max_frame_size(limits.max_message_size)
                        .on_upgrade(move |socket| {
                            connection::serve(socket, room, rooms, limits, shutdown)
                        })
                });

        let mut stop = shutdown.subscribe();
        let routes = websocket.or(health);
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

    /// Rooms loaded and connections open.
    pub fn stats(&self) -> RoomStats {
        self.rooms.stats()
    }

    /// Stops accepting, closes every WebSocket with 1001 and waits (up to 5 s) for them.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.rooms.stats().connections > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
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
