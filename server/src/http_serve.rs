//! The HTTP server under the routes: accepts connections and runs hyper on each, with the
//! bounds `warp::serve` does not offer. A client gets [`HttpLimits::header_read_timeout`] to
//! send its request headers (a slow or silent client would otherwise hold a socket and a task
//! forever, before any token is checked), and [`HttpLimits::max_header_bytes`] of them
//! (hyper answers 431 past it). Each request carries the client's address, read by
//! [`client_addr`].

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use warp::{Filter, Rejection, Reply};

/// Bounds on what a client may make the server read before its request is routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HttpLimits {
    /// Time to send a request's start line and headers; then the connection is dropped.
    /// It runs again for each request of a kept-alive connection, so an idle connection is
    /// dropped after it too.
    pub(crate) header_read_timeout: Duration,
    /// Bytes of a request's start line and headers; past it hyper answers 431 and closes.
    pub(crate) max_header_bytes: usize,
}

/// The address of the client that sent a request, as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ClientAddr(SocketAddr);

/// The address of the client that sent the request: `None` only for requests that did not
/// come through [`serve`] (`warp::test`). `warp::addr::remote` stays `None` here, since warp
/// fills it only under `warp::serve`.
pub(crate) fn client_addr(
) -> impl Filter<Extract = (Option<SocketAddr>,), Error = Infallible> + Clone {
    warp::ext::optional::<ClientAddr>().map(|addr: Option<ClientAddr>| addr.map(|a| a.0))
}

/// Serves `routes` on connections from `listener` until `shutdown` turns true (or its sender
/// is dropped). It then stops accepting, lets every connection finish the request it is
/// serving (idle kept-alive connections close at once), and returns when all have ended.
/// Upgraded WebSocket connections are no longer HTTP connections: they are not waited for,
/// and the server closes them itself.
pub(crate) async fn serve<F, R>(
    listener: TcpListener,
    routes: F,
    mut shutdown: watch::Receiver<bool>,
    limits: HttpLimits,
) where
    F: Filter<Extract = (R,), Error = Rejection> + Clone + Send + Sync + 'static,
    R: Reply + 'static,
{
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes);
    let http = Arc::new(http);
    // Every connection task holds a sender; when all have ended, `recv` returns `None`.
    let (running, mut all_ended) = mpsc::channel::<()>(1);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut shutdown) => break,
        };
        match accepted {
            Ok((stream, addr)) => {
                let connection = serve_connection(
                    stream,
                    addr,
                    routes.clone(),
                    Arc::clone(&http),
                    shutdown.clone(),
                );
                let running = running.clone();
                tokio::spawn(async move {
                    connection.await;
                    drop(running);
                });
            }
            Err(err) if is_connection_error(&err) => {}
            Err(err) => {
                // Most likely out of file descriptors: accepting again at once would spin.
                tracing::error!(error = %err, "accepting a connection failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    drop(listener);
    drop(running);
    let _ = all_ended.recv().await;
}

/// Runs hyper on one connection until it ends, is upgraded, or the server shuts down.
async fn serve_connection<F, R>(
    stream: TcpStream,
    addr: SocketAddr,
    routes: F,
    http: Arc<http1::Builder>,
    mut shutdown: watch::Receiver<bool>,
) where
    F: Filter<Extract = (R,), Error = Rejection> + Clone + Send + Sync + 'static,
    R: Reply + 'static,
{
    let routes = TowerToHyperService::new(warp::service(routes));
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ClientAddr(addr));
        hyper::service::Service::call(&routes, request)
    });
    let connection = http
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopped(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        // A client that was too slow, sent too much or hung up: its doing, not the server's.
        tracing::debug!(client = %addr, error = %err, "http connection ended");
    }
}

/// Resolves once the server shuts down (or whoever could tell it to has gone). The watch's
/// borrow ends here, so the futures awaiting this stay `Send`.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stopped| *stopped).await;
}

/// Errors of one connection that was reset before it was accepted; the listener is fine.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::task::JoinHandle;
    use tokio_tungstenite::tungstenite::Message;

    use super::*;
    use crate::upgrade::{self, UpgradeRequest};

    const LIMITS: HttpLimits = HttpLimits {
        header_read_timeout: Duration::from_millis(300),
        max_header_bytes: 16 * 1024,
    };

    struct Running {
        addr: SocketAddr,
        stop: watch::Sender<bool>,
        task: JoinHandle<()>,
    }

    /// `GET /ip` answers the client's address; any WebSocket echoes binary messages.
    async fn start() -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let websocket = upgrade::websocket().map(|request: UpgradeRequest| {
            request.accept(1024, None, |mut socket| async move {
                while let Some(Ok(message)) = socket.next().await {
                    if message.is_binary() && socket.send(message).await.is_err() {
                        break;
                    }
                }
            })
        });
        let ip = warp::path!("ip")
            .and(client_addr())
            .map(|addr: Option<SocketAddr>| format!("{:?}", addr.map(|a| a.ip())));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, websocket.or(ip), stopped, LIMITS));
        Running { addr, stop, task }
    }

    /// Sends `request` and reads until the server closes the connection.
    async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut response = Vec::new();
        // A reset after the answer (the server closed with request bytes unread) still
        // leaves the answer read.
        let _ = stream.read_to_end(&mut response).await;
        String::from_utf8_lossy(&response).into_owned()
    }

    #[tokio::test]
    async fn a_request_reaches_the_routes_with_the_client_address() {
        let server = start().await;
        let response = exchange(
            server.addr,
            b"GET /ip HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("Some(127.0.0.1)"), "{response}");
    }

    #[tokio::test]
    async fn a_client_sending_its_headers_too_slowly_is_dropped() {
        let server = start().await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let started = Instant::now();
        stream
            .write_all(b"GET /ip HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        // The rest of the headers never come: hyper closes the connection without an answer.
        let mut response = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
            .await
            .expect("the connection was not dropped");
        let elapsed = started.elapsed();
        assert_eq!((read.unwrap(), response.len()), (0, 0));
        assert!(elapsed >= LIMITS.header_read_timeout, "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_silent_client_is_dropped_after_the_header_timeout() {
        let server = start().await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let mut response = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
            .await
            .expect("the connection was not dropped")
            .unwrap();
    }

    #[tokio::test]
    async fn headers_over_the_limit_get_431() {
        let server = start().await;
        let big = "a".repeat(LIMITS.max_header_bytes);
        let request = format!("GET /ip HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n");
        let response = exchange(server.addr, request.as_bytes()).await;
        assert!(response.starts_with("HTTP/1.1 431"), "{response}");
        // Just under the limit passes.
        let fits = "a".repeat(LIMITS.max_header_bytes - 200);
        let request =
            format!("GET /ip HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-big: {fits}\r\n\r\n");
        let response = exchange(server.addr, request.as_bytes()).await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }

    #[tokio::test]
    async fn a_websocket_upgrade_works_and_outlives_the_header_timeout_and_shutdown() {
        let server = start().await;
        let url = format!("ws://{}/room", server.addr);
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        tokio::time::sleep(LIMITS.header_read_timeout * 2).await;
        socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
        let echoed = socket.next().await.unwrap().unwrap();
        assert_eq!(echoed.into_data().as_ref(), &[1, 2, 3]);

        // Shutting down stops accepting and returns, with the WebSocket still open (the
        // server closes those itself).
        server.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server.task)
            .await
            .expect("serve did not return")
            .unwrap();
        assert!(TcpStream::connect(server.addr).await.is_err());
        socket.send(Message::binary(vec![4])).await.unwrap();
        let echoed = socket.next().await.unwrap().unwrap();
        assert_eq!(echoed.into_data().as_ref(), &[4]);
    }

    #[tokio::test]
    async fn shutdown_closes_idle_kept_alive_connections_and_returns() {
        let server = start().await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /ip HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 12];
        stream.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        server.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_millis(200), server.task)
            .await
            .expect("serve waited for an idle connection")
            .unwrap();
    }
}
