//! A close code in 4400–4499 means "reconnecting cannot help" (y-websocket 3.x convention):
//! the provider stops retrying until `connect()` is called.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use crate::common::closing_server;
use ycord_provider::{new_doc, ProviderOptions, Status, WebsocketProvider};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_code_4403_stops_reconnecting_until_connect() {
    let refusal = CloseFrame {
        code: CloseCode::from(4403),
        reason: "no access to this room".into(),
    };
    let (url, mut accepts) = closing_server(Some(refusal)).await;

    let provider = WebsocketProvider::new(&url, "room", new_doc(), ProviderOptions::default());
    tokio::time::timeout(Duration::from_secs(10), accepts.recv())
        .await
        .expect("first connection");
    let mut status = provider.status_changes();
    tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| *s == Status::Disconnected),
    )
    .await
    .expect("the refused socket is reported")
    .unwrap();
    // Ten times the first backoff ceiling: a retry would have come by now.
    let retry = tokio::time::timeout(Duration::from_secs(1), accepts.recv()).await;
    assert!(retry.is_err(), "the provider reconnected after a refusal");
    assert_eq!(provider.status(), Status::Disconnected);

    provider.connect();
    tokio::time::timeout(Duration::from_secs(10), accepts.recv())
        .await
        .expect("connect() tries again");
}
