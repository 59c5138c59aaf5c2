//! With [`Dialect::Hocuspocus`], [`WebsocketProvider::send_stateless`] reaches the document's
//! other Hocuspocus providers on a ycord server (which relays stateless messages to everyone
//! but the sender) through their [`WebsocketProvider::stateless_messages`]. The y-websocket
//! dialect, which has no such message, refuses to send one, and so does a provider without
//! an open socket: nothing is queued for later.

use tokio::sync::broadcast;
use ycord_provider::{Dialect, ProviderError, ProviderOptions};

use crate::common::{provider, provider_with, start_server, synced, unique_room, PATIENCE};

async fn next_message(messages: &mut broadcast::Receiver<String>, who: &str) -> String {
    tokio::time::timeout(PATIENCE, messages.recv())
        .await
        .unwrap_or_else(|_| panic!("{who} received no stateless message"))
        .expect("the provider is alive")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stateless_message_reaches_the_other_hocuspocus_provider_and_only_it() {
    let server = start_server().await;
    let url = format!("{}/hocuspocus", server.ws_url());
    let room = unique_room("stateless");
    let hocuspocus = || ProviderOptions {
        dialect: Dialect::Hocuspocus,
        ..ProviderOptions::default()
    };
    let a = provider_with(&url, &room, hocuspocus());
    let b = provider_with(&url, &room, hocuspocus());
    synced(&a).await;
    synced(&b).await;
    let mut a_messages = a.stateless_messages();
    let mut b_messages = b.stateless_messages();

    let payload = r#"{"from":"a","note":"héllo ✓"}"#;
    a.send_stateless(payload).unwrap();
    assert_eq!(next_message(&mut b_messages, "b").await, payload);

    b.send_stateless("and back").unwrap();
    // Had the server echoed a's message to a, it would have come first.
    assert_eq!(next_message(&mut a_messages, "a").await, "and back");

    a.disconnect().await;
    assert_eq!(
        a.send_stateless("offline"),
        Err(ProviderError::NotConnected)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_y_websocket_dialect_refuses_to_send_a_stateless_message() {
    let server = start_server().await;
    let plain = provider(&server.ws_url(), &unique_room("stateless-plain"));
    synced(&plain).await;
    assert_eq!(
        plain.send_stateless("hello"),
        Err(ProviderError::StatelessUnsupported)
    );
}
