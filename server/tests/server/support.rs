//! A raw y-websocket client over tokio-tungstenite for driving the real server frame by frame.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use ycord_protocol::{decode_frame, encode, Message as YMessage, SyncMessage};
use ycord_server::{Config, Server};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update};

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub async fn server(config: Config) -> Server {
    Server::bind(Config { port: 0, ..config })
        .await
        .expect("bind")
}

pub struct RawClient {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl RawClient {
    pub async fn connect(server: &Server, room: &str) -> RawClient {
        Self::connect_url(&server.ws_url(), room).await
    }

    pub async fn connect_url(base: &str, room: &str) -> RawClient {
        let url = format!("{base}/{room}");
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        RawClient { ws }
    }

    pub async fn send(&mut self, frame: Vec<u8>) {
        self.ws.send(Message::binary(frame)).await.expect("send");
    }

    /// The next binary frame, skipping pings.
    pub async fn next_frame(&mut self) -> Vec<u8> {
        loop {
            let message = tokio::time::timeout(TIMEOUT, self.ws.next())
                .await
                .expect("a frame within the timeout")
                .expect("stream open")
                .expect("no error");
            match message {
                Message::Binary(bytes) => return bytes.to_vec(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a binary frame, got {other:?}"),
            }
        }
    }

    /// Skips frames until one satisfies `pred` and returns it.
    pub async fn frame_where(&mut self, pred: impl Fn(&YMessage<'_>) -> bool) -> Vec<u8> {
        loop {
            let frame = self.next_frame().await;
            let messages = decode_frame(&frame).expect("server frames decode");
            if messages.iter().any(&pred) {
                return frame;
            }
        }
    }

    /// Reads until the server closes; returns the close code and reason.
    pub async fn close_code(&mut self) -> (u16, String) {
        loop {
            let message = tokio::time::timeout(TIMEOUT, self.ws.next())
                .await
                .expect("a close within the timeout");
            match message {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.to_string())
                }
                Some(Ok(Message::Close(None))) => {
                    return (u16::from(CloseCode::Status), String::new())
                }
                Some(Ok(_)) => continue,
                Some(Err(err)) => panic!("connection failed before a close frame: {err}"),
                None => panic!("connection ended without a close frame"),
            }
        }
    }

    /// Syncs a fresh document from the server: sends step1 with an empty state vector and
    /// returns the text of the step2 answer.
    pub async fn fetch_text(&mut self) -> String {
        self.send(encode::sync_step1(&StateVector::default())).await;
        let frame = self
            .frame_where(|m| matches!(m, YMessage::Sync(SyncMessage::Step2(_))))
            .await;
        let messages = decode_frame(&frame).unwrap();
        let update = messages
            .iter()
            .find_map(|m| match m {
                YMessage::Sync(SyncMessage::Step2(u)) => Some(u.to_vec()),
                _ => None,
            })
            .unwrap();
        text_of_update(&update)
    }
}

/// A v1 update that inserts `content` at the start of the root text "text" of a new doc.
pub fn text_update(doc: &Doc, content: &str) -> Vec<u8> {
    let text = doc.get_or_insert_text("text");
    let before = doc.transact().state_vector();
    text.insert(&mut doc.transact_mut(), 0, content);
    doc.transact().encode_state_as_update_v1(&before)
}

pub fn text_of_update(update: &[u8]) -> String {
    let doc = Doc::new();
    let text = doc.get_or_insert_text("text");
    doc.transact_mut()
        .apply_update(Update::decode_v1(update).unwrap())
        .unwrap();
    let txn = doc.transact();
    text.get_string(&txn)
}

/// A minimal HTTP/1.1 request; returns the status and the body.
pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, Vec<u8>) {
    http_request(addr, method, path, &[], body).await
}

/// A bodiless HTTP/1.1 request with extra headers; returns the status and the body.
pub async fn http_with_headers(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<u8>) {
    http_request(addr, method, path, headers, &[]).await
}

async fn http_request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let status = std::str::from_utf8(&response[9..12])
        .unwrap()
        .parse()
        .unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    (status, response[split..].to_vec())
}

/// The second of two edits by one writer, so that a room without the first parks its structs
/// for later, with the inserted string's bytes replaced by invalid UTF-8 (lengths unchanged).
/// yrs used to accept this and fail on it later, while encoding the room's state.
pub fn pending_update_with_invalid_utf8() -> Vec<u8> {
    let doc = Doc::new();
    text_update(&doc, "first");
    let mut second = text_update(&doc, "zz");
    let at = second.windows(2).position(|w| w == b"zz").unwrap();
    second[at] = 0xff;
    second[at + 1] = 0xfe;
    second
}
