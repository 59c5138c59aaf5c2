//! A close code in 4400–4499 means "reconnecting cannot help" (y-websocket 3.x convention):
//! the provider stops retrying until `connect()` is called.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use ycord_provider::{new_doc, ProviderOptions, Status, WebsocketProvider};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_code_4403_stops_reconnecting_until_connect() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (accepted, mut accepts) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let accepted = accepted.clone();
            tokio::spawn(async move {
                if let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await {
                    let _ = accepted.send(());
                    let refusal = CloseFrame {
                        code: CloseCode::from(4403),
                        reason: "no access to this room".into(),
                    };
                    let _ = socket.close(Some(refusal)).await;
                }
            });
        }
    });

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
