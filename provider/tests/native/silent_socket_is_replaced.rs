//! Liveness: a socket that delivers nothing (not even a pong) for the liveness timeout is
//! replaced, while a quiet but healthy one is kept alive by pings.

use std::time::Duration;

use crate::common::{start_server, synced, unique_room};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use ycord_provider::{new_doc, ProviderOptions, Status, WebsocketProvider};

fn options(liveness_timeout: Duration) -> ProviderOptions {
    ProviderOptions {
        liveness_timeout,
        ..ProviderOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_silent_for_the_liveness_timeout_is_replaced() {
    // Completes the WebSocket handshake, then never reads or writes again.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (accepted, mut accepts) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            if let Ok(socket) = tokio_tungstenite::accept_async(tcp).await {
                held.push(socket);
                let _ = accepted.send(());
            }
        }
    });

    let provider =
        WebsocketProvider::new(&url, "room", new_doc(), options(Duration::from_millis(300)));
    for n in 1..=2 {
        tokio::time::timeout(Duration::from_secs(10), accepts.recv())
            .await
            .unwrap_or_else(|_| panic!("connection {n} never came"));
    }
    drop(provider);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_but_healthy_socket_is_kept() {
    let server = start_server().await;
    let provider = WebsocketProvider::new(
        &server.ws_url(),
        &unique_room("quiet"),
        new_doc(),
        options(Duration::from_millis(300)),
    );
    synced(&provider).await;
    let mut status = provider.status_changes();
    status.borrow_and_update();
    // Nothing is sent in this room; only pings keep the socket alive for five timeouts.
    let changed = tokio::time::timeout(Duration::from_millis(1_500), status.changed()).await;
    assert!(changed.is_err(), "status changed to {:?}", *status.borrow());
    assert_eq!(provider.status(), Status::Connected);
    drop(provider);
    server.shutdown().await;
}
