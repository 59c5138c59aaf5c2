//! Helpers shared by the provider's integration tests: a real server on an ephemeral port,
//! providers on it, and waits that end on events rather than sleeps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use ycord_provider::{new_doc, ProviderOptions, WebsocketProvider};
use yrs::types::ToJson;
use yrs::{Doc, GetString, ReadTxn, Transact};

/// Generous bound for anything the tests wait for.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The real ycord server on 127.0.0.1 and a free port.
pub async fn start_server() -> ycord_server::Server {
    ycord_server::Server::bind(ycord_server::Config {
        port: 0,
        ..ycord_server::Config::default()
    })
    .await
    .expect("bind the server to an ephemeral port")
}

/// A room name no other test uses.
pub fn unique_room(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A provider on a fresh Yjs-style document whose roots `text`, `map` and `array` exist.
pub fn provider(url: &str, room: &str) -> WebsocketProvider {
    let doc = new_doc();
    doc.get_or_insert_text("text");
    doc.get_or_insert_map("map");
    doc.get_or_insert_array("array");
    WebsocketProvider::new(url, room, doc, ProviderOptions::default())
}

/// A counter bumped by every committed update of `doc`, local or remote.
pub fn update_counter(doc: &Doc, key: &str) -> watch::Receiver<u64> {
    let (tx, rx) = watch::channel(0u64);
    let tx = std::sync::Arc::new(tx);
    // A provider's task may hold a transaction of the document for a moment (applying a remote
    // update), and yrs refuses to add an observer meanwhile: try again until it is free.
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let tx = std::sync::Arc::clone(&tx);
        match doc.observe_update_v1(key, move |_, _| tx.send_modify(|n| *n += 1)) {
            Ok(()) => return rx,
            Err(_) if std::time::Instant::now() < deadline => std::thread::yield_now(),
            Err(err) => panic!("the document stayed busy for {PATIENCE:?}: {err}"),
        }
    }
}

/// The three roots as canonical JSON (map keys sorted).
pub fn snapshot(doc: &Doc) -> serde_json::Value {
    let txn = doc.transact();
    let text = txn.get_text("text").map(|t| t.get_string(&txn));
    let map = txn.get_map("map").map(|m| m.to_json(&txn));
    let array = txn.get_array("array").map(|a| a.to_json(&txn));
    serde_json::json!({ "text": text, "map": map, "array": array })
}

/// Waits until `condition` holds, re-checking each time one of `changes` fires, or panics
/// with `what` once [`PATIENCE`] has passed.
pub async fn until<T>(
    what: &str,
    changes: &mut [watch::Receiver<T>],
    mut condition: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        for rx in changes.iter_mut() {
            rx.borrow_and_update();
        }
        if condition() {
            return;
        }
        let any_change =
            futures_util::future::select_all(changes.iter_mut().map(|rx| Box::pin(rx.changed())));
        if tokio::time::timeout_at(deadline, any_change).await.is_err() {
            panic!("timed out waiting until {what}");
        }
    }
}

/// Waits for `provider` to sync, or panics after [`PATIENCE`].
pub async fn synced(provider: &WebsocketProvider) {
    tokio::time::timeout(PATIENCE, provider.wait_synced())
        .await
        .unwrap_or_else(|_| panic!("{} never synced", provider.client_id()));
}

/// A WebSocket server that closes every socket right after accepting it, with `close` as its
/// close frame (`None`: a plain close). Returns its URL and the instant of each accept.
pub async fn closing_server(
    close: Option<tokio_tungstenite::tungstenite::protocol::CloseFrame>,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<Instant>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (accepted, accepts) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let accepted = accepted.clone();
            let close = close.clone();
            tokio::spawn(async move {
                if let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await {
                    let _ = accepted.send(Instant::now());
                    let _ = socket.close(close).await;
                }
            });
        }
    });
    (url, accepts)
}

/// The HS256 secret of [`start_auth_server`] (at least 32 bytes, as the server requires).
pub const SECRET: &[u8] = b"provider-tests-secret-of-at-least-32-bytes";

/// The real ycord server on a free port, requiring tokens signed with [`SECRET`].
pub async fn start_auth_server() -> ycord_server::Server {
    ycord_server::Server::bind(ycord_server::Config {
        port: 0,
        auth: Some(ycord_server::auth::AuthConfig::with_secret(SECRET)),
        ..ycord_server::Config::default()
    })
    .await
    .expect("bind the auth-enabled server to an ephemeral port")
}

/// A token for `room` signed with [`SECRET`], valid for `ttl`.
pub fn mint(room: &str, access: ycord_server::auth::Access, ttl: Duration) -> String {
    let claims = ycord_server::auth::Claims::new(room, access, ttl);
    ycord_server::auth::mint_hs256(SECRET, &claims)
}

/// A read-write token for `room`, valid for an hour.
pub fn rw_token(room: &str) -> String {
    mint(
        room,
        ycord_server::auth::Access::ReadWrite,
        Duration::from_secs(3600),
    )
}

/// A provider like [`provider`] that connects with `options`.
pub fn provider_with(url: &str, room: &str, options: ProviderOptions) -> WebsocketProvider {
    let doc = new_doc();
    doc.get_or_insert_text("text");
    doc.get_or_insert_map("map");
    doc.get_or_insert_array("array");
    WebsocketProvider::new(url, room, doc, options)
}

/// A token source answering with `token()` each time, and a receiver counting its calls.
pub fn counting_source(
    token: impl Fn() -> String + Send + Sync + 'static,
) -> (ycord_provider::TokenSource, watch::Receiver<u32>) {
    let (calls, counted) = watch::channel(0u32);
    let token = std::sync::Arc::new(token);
    let source = ycord_provider::TokenSource::new(move || {
        calls.send_modify(|n| *n += 1);
        let token = token.clone();
        async move { Ok(token()) }
    });
    (source, counted)
}

/// Inserts `content` at the end of text `text` in one transaction.
pub fn append(doc: &Doc, content: &str) {
    use yrs::Text;
    let text = doc.get_or_insert_text("text");
    let mut txn = doc.transact_mut();
    let end = text.len(&txn);
    text.insert(&mut txn, end, content);
}

/// Text `text` of `doc`.
pub fn text_of(doc: &Doc) -> String {
    doc.get_or_insert_text("text").get_string(&doc.transact())
}
