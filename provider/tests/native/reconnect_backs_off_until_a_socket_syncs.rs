//! A server that accepts sockets and closes them at once must not cause a reconnect storm:
//! only a socket that synced resets the backoff, so the delays keep growing.

use std::time::Duration;

use crate::common::closing_server;
use ycord_provider::{new_doc, ProviderOptions, WebsocketProvider};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_then_close_is_backed_off_exponentially() {
    let (url, mut accepts) = closing_server(None).await;

    let provider = WebsocketProvider::new(&url, "room", new_doc(), ProviderOptions::default());
    let mut times = Vec::new();
    while times.len() < 5 {
        let at = tokio::time::timeout(Duration::from_secs(10), accepts.recv())
            .await
            .expect("the provider keeps reconnecting")
            .unwrap();
        times.push(at);
    }
    // Delays are drawn from [c/2, c] with c = 100 ms · 2^n: the fourth is at least 400 ms.
    // A counter reset on every open would keep every gap under 100 ms.
    let fourth_gap = times[4] - times[3];
    assert!(
        fourth_gap >= Duration::from_millis(350),
        "gaps {:?}",
        times.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
    );
    assert!(!provider.is_synced());
}
