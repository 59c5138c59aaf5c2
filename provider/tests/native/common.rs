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
    doc.observe_update_v1(key, move |_, _| tx.send_modify(|n| *n += 1))
        .expect("document is not busy while the test sets up");
    rx
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
