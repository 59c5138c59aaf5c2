//! What the access-token tests share: a server that checks tokens, tokens for it, and requests
//! that carry them (WebSocket upgrades and plain HTTP, with any headers).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Error as WsError;
use ycord_server::auth::{mint_hs256, Access, AuthConfig, Claims};
use ycord_server::{Config, Server};

use crate::support::{server, RawClient, TIMEOUT};

/// The HS256 secret of [`auth_server`].
pub const SECRET: &[u8] = b"the access tests' secret, 32 bytes or more";

/// A server on port 0 that checks tokens against `auth`.
pub async fn auth_server(auth: AuthConfig, config: Config) -> Server {
    server(Config {
        auth: Some(auth),
        ..config
    })
    .await
}

/// A server on port 0 that checks HS256 tokens signed with [`SECRET`].
pub async fn secret_server() -> Server {
    auth_server(AuthConfig::with_secret(SECRET.to_vec()), Config::default()).await
}

/// A token for `room` with `access`, valid for an hour, signed with [`SECRET`].
pub fn token(room: &str, access: Access) -> String {
    mint_hs256(
        SECRET,
        &Claims::new(room, access, Duration::from_secs(3600)),
    )
}

/// Base64url without padding, as JWTs encode their parts.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, byte)| n | u32::from(*byte) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// A JWT with exactly this header and payload text (duplicated keys, odd types and all),
/// signed with HS256 and `secret`.
pub fn signed_raw(header: &str, payload: &str, secret: &[u8]) -> String {
    let message = format!(
        "{}.{}",
        base64url(header.as_bytes()),
        base64url(payload.as_bytes())
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(secret),
        jsonwebtoken::Algorithm::HS256,
    )
    .expect("HS256 signs any bytes");
    format!("{message}.{signature}")
}

/// What the server answered to a WebSocket upgrade.
pub enum Upgrade {
    /// 101: the socket, and the `Sec-WebSocket-Protocol` the server named.
    Accepted {
        client: Box<RawClient>,
        protocol: Option<String>,
    },
    /// Anything else: the status and the JSON body.
    Refused {
        status: u16,
        body: serde_json::Value,
    },
}

impl Upgrade {
    /// The refusal's status and `reason`; panics on a 101.
    pub fn refusal(self) -> (u16, String) {
        match self {
            Upgrade::Refused { status, body } => {
                assert_eq!(
                    body["status"], status,
                    "the body repeats the status: {body}"
                );
                assert!(
                    body["error"]
                        .as_str()
                        .is_some_and(|error| !error.is_empty()),
                    "the body says what is wrong: {body}"
                );
                (
                    status,
                    body["reason"].as_str().unwrap_or_default().to_owned(),
                )
            }
            Upgrade::Accepted { .. } => panic!("expected a refusal, the upgrade was accepted"),
        }
    }

    /// The socket and the named subprotocol; panics on a refusal.
    pub fn accepted(self) -> (RawClient, Option<String>) {
        match self {
            Upgrade::Accepted { client, protocol } => (*client, protocol),
            Upgrade::Refused { status, body } => {
                panic!("expected a 101, the upgrade was refused with {status}: {body}")
            }
        }
    }
}

/// Upgrades `ws://server/<path_and_query>` with `headers` added to the handshake.
pub async fn upgrade(server: &Server, path_and_query: &str, headers: &[(&str, &str)]) -> Upgrade {
    upgrade_url(&server.ws_url(), path_and_query, headers).await
}

/// Upgrades `<ws_url>/<path_and_query>` (`ws_url` is `ws://host:port`) with `headers` added.
pub async fn upgrade_url(ws_url: &str, path_and_query: &str, headers: &[(&str, &str)]) -> Upgrade {
    let mut request = format!("{ws_url}/{path_and_query}")
        .into_client_request()
        .expect("a valid URL");
    for (name, value) in headers {
        request.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_str(value).expect("a valid header value"),
        );
    }
    match tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(request))
        .await
        .expect("an answer to the upgrade within the timeout")
    {
        Ok((ws, response)) => Upgrade::Accepted {
            protocol: response
                .headers()
                .get("sec-websocket-protocol")
                .map(|value| value.to_str().expect("ASCII").to_owned()),
            client: Box::new(RawClient { ws }),
        },
        Err(WsError::Http(response)) => {
            let status = response.status().as_u16();
            let body = response.body().clone().unwrap_or_default();
            let body = serde_json::from_slice(&body).unwrap_or_else(|err| {
                panic!(
                    "the {status} refusal is not JSON ({err}): {}",
                    String::from_utf8_lossy(&body)
                )
            });
            Upgrade::Refused { status, body }
        }
        Err(err) => panic!("the upgrade failed without an HTTP answer: {err}"),
    }
}

/// An HTTP answer: status, headers (names lower-case) and body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find_map(|(key, value)| (key == name).then_some(value.as_str()))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "the {} answer is not JSON ({err}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `reason` of a JSON refusal, checked to repeat the status.
    pub fn reason(&self) -> String {
        let body = self.json();
        assert_eq!(
            body["status"], self.status,
            "the body repeats the status: {body}"
        );
        body["reason"].as_str().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request with `headers`, over a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.expect("request");
        stream.write_all(body).await.expect("body");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("response");
        response
    };
    let response = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .expect("an answer within the timeout");
    parse_answer(&response)
}

/// Splits a raw HTTP/1.1 answer (no chunked body) into its parts.
pub fn parse_answer(response: &[u8]) -> Answer {
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header block in {:?}", String::from_utf8_lossy(response)));
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: response[split + 4..].to_vec(),
    }
}

/// `Authorization: Bearer <token>` as a header pair.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}
