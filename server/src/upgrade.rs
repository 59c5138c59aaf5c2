//! The WebSocket upgrade, done here rather than by `warp::ws` so that the socket's buffers
//! can be sized: warp fixes tungstenite's read buffer at 128 KiB, which tungstenite zero-fills
//! on every read attempt. That cost a memset of 128 KiB per delivered frame (over a third of
//! the server's CPU under load) and made every idle connection hold 128 KiB.

use std::future::Future;

use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;
use warp::filters::path::FullPath;
use warp::http::{header, HeaderMap, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection};

/// A server-side WebSocket over an upgraded HTTP connection.
pub(crate) type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// Bytes read from the socket at a time. Larger messages still arrive whole (the buffer
/// grows); this only bounds what every connection holds and clears per read.
const READ_BUFFER: usize = 4 * 1024;

/// An upgrade request that passed the handshake checks.
pub(crate) struct UpgradeRequest {
    /// The request path, raw (not percent-decoded).
    pub(crate) path: FullPath,
    /// The raw query string (empty without one).
    pub(crate) query: String,
    /// The request headers (token, subprotocols, origin).
    pub(crate) headers: HeaderMap,
    key: String,
    on_upgrade: OnUpgrade,
}

/// Matches a WebSocket upgrade request (RFC 6455 §4.2.1); other requests are rejected, so
/// that later routes can answer them.
pub(crate) fn websocket() -> impl Filter<Extract = (UpgradeRequest,), Error = Rejection> + Clone {
    warp::get()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::header::<String>("connection"))
        .and(warp::header::<String>("upgrade"))
        .and(warp::header::exact("sec-websocket-version", "13"))
        .and(warp::header::<String>("sec-websocket-key"))
        .and(warp::ext::get::<OnUpgrade>())
        .and_then(
            |path: FullPath,
             query: String,
             headers: HeaderMap,
             connection: String,
             upgrade: String,
             key: String,
             on_upgrade| async move {
                let asks_upgrade = connection
                    .split(',')
                    .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
                if asks_upgrade && upgrade.trim().eq_ignore_ascii_case("websocket") {
                    Ok(UpgradeRequest {
                        path,
                        query,
                        headers,
                        key,
                        on_upgrade,
                    })
                } else {
                    Err(warp::reject::not_found())
                }
            },
        )
}

impl UpgradeRequest {
    /// Answers `101 Switching Protocols` and, once the client has the answer, runs `serve` on
    /// the socket (in a task of its own). `subprotocol` is named in the answer: a browser that
    /// offered subprotocols fails the connection unless the answer names one it offered.
    pub(crate) fn accept<F, Fut>(
        self,
        max_message_size: usize,
        subprotocol: Option<&'static str>,
        serve: F,
    ) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let accept = derive_accept_key(self.key.as_bytes());
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let config = WebSocketConfig::default()
                        .read_buffer_size(READ_BUFFER)
                        .max_message_size(Some(max_message_size))
                        .max_frame_size(Some(max_message_size));
                    let socket = WebSocketStream::from_raw_socket(
                        TokioIo::new(upgraded),
                        Role::Server,
                        Some(config),
                    )
                    .await;
                    serve(socket).await;
                }
                Err(err) => tracing::debug!(%err, "websocket upgrade failed"),
            }
        });
        let mut response = Response::default();
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(
            header::CONNECTION,
            header::HeaderValue::from_static("upgrade"),
        );
        headers.insert(
            header::UPGRADE,
            header::HeaderValue::from_static("websocket"),
        );
        headers.insert(
            header::SEC_WEBSOCKET_ACCEPT,
            header::HeaderValue::from_str(&accept).expect("base64 is a valid header value"),
        );
        if let Some(protocol) = subprotocol {
            headers.insert(
                header::SEC_WEBSOCKET_PROTOCOL,
                header::HeaderValue::from_static(protocol),
            );
        }
        response
    }
}
