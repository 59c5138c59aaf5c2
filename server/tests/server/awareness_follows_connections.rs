//! Awareness states follow the connections that introduced them: a dead socket's client
//! disappears from the others' view at once, and a reconnecting client reappears at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use ycord_protocol::{decode_frame, encode, Message};
use ycord_server::Config;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::AwarenessUpdate;
use yrs::ClientID;

use crate::support::{server, RawClient};

fn announce(id: u64, clock: u32, json: &str) -> Vec<u8> {
    let mut clients = HashMap::new();
    clients.insert(
        ClientID::new(id),
        AwarenessUpdateEntry {
            clock,
            json: Arc::from(json),
        },
    );
    encode::awareness(&AwarenessUpdate { clients })
}

/// Waits for an awareness frame mentioning `id` and returns its (clock, json).
async fn awareness_of(client: &mut RawClient, id: u64) -> (u32, String) {
    loop {
        let frame = client
            .frame_where(|m| matches!(m, Message::Awareness(_)))
            .await;
        for message in decode_frame(&frame).unwrap() {
            if let Message::Awareness(update) = message {
                if let Some(entry) = update.clients.get(&ClientID::new(id)) {
                    return (entry.clock, entry.json.to_string());
                }
            }
        }
    }
}

#[tokio::test]
async fn killed_socket_disappears_from_others_awareness_also_after_a_reconnect() {
    let server = server(Config::default()).await;
    let mut watcher = RawClient::connect(&server, "room").await;

    let mut alice = RawClient::connect(&server, "room").await;
    alice.send(announce(7, 1, r#"{"name":"alice"}"#)).await;
    assert_eq!(
        awareness_of(&mut watcher, 7).await,
        (1, r#"{"name":"alice"}"#.into())
    );

    // The socket dies without a close handshake.
    let killed_at = Instant::now();
    drop(alice);
    assert_eq!(awareness_of(&mut watcher, 7).await.1, "null");
    let first_removal = killed_at.elapsed();

    // Alice reconnects announcing the clock she had; peers would ignore that clock because the
    // removal was newer, so the server re-stamps it and everyone sees her again right away.
    let mut alice = RawClient::connect(&server, "room").await;
    alice.send(announce(7, 1, r#"{"name":"alice"}"#)).await;
    let (clock, json) = awareness_of(&mut watcher, 7).await;
    assert!(
        clock > 2,
        "re-stamped above the removal's clock, got {clock}"
    );
    assert_eq!(json, r#"{"name":"alice"}"#);

    let killed_at = Instant::now();
    drop(alice);
    assert_eq!(awareness_of(&mut watcher, 7).await.1, "null");
    let second_removal = killed_at.elapsed();
    eprintln!(
        "removal after socket death: {first_removal:?}, after a reconnect: {second_removal:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn relayed_states_stay_with_their_introducer() {
    let server = server(Config::default()).await;
    let mut watcher = RawClient::connect(&server, "room").await;
    let mut alice = RawClient::connect(&server, "room").await;
    alice.send(announce(7, 1, r#"{"n":"a"}"#)).await;
    awareness_of(&mut watcher, 7).await;

    // Bob introduces himself, then relays Alice's state back (as y-websocket clients do).
    let mut bob = RawClient::connect(&server, "room").await;
    bob.send(announce(8, 1, r#"{"n":"b"}"#)).await;
    awareness_of(&mut watcher, 8).await;
    bob.send(announce(7, 1, r#"{"n":"a"}"#)).await;
    bob.ws.close(None).await.unwrap();

    // Only Bob's own id is removed; Alice stays.
    let frame = watcher
        .frame_where(|m| matches!(m, Message::Awareness(_)))
        .await;
    let Message::Awareness(update) = &decode_frame(&frame).unwrap()[0] else {
        unreachable!()
    };
    assert_eq!(update.clients.len(), 1);
    assert_eq!(update.clients[&ClientID::new(8)].json.as_ref(), "null");
    drop(alice);
    server.shutdown().await;
}

#[tokio::test]
async fn joiners_receive_known_states_and_query_awareness_is_answered() {
    let server = server(Config::default()).await;
    let mut alice = RawClient::connect(&server, "room").await;
    alice.send(announce(7, 3, r#"{"n":"a"}"#)).await;
    alice
        .frame_where(|m| matches!(m, Message::Awareness(_)))
        .await;

    // Each answer is one clock above anything sent before, so a client that remembers an
    // earlier clock (it had this state before its socket dropped) accepts it.
    let mut late = RawClient::connect(&server, "room").await;
    assert_eq!(awareness_of(&mut late, 7).await, (4, r#"{"n":"a"}"#.into()));
    late.send(encode::query_awareness()).await;
    assert_eq!(awareness_of(&mut late, 7).await, (5, r#"{"n":"a"}"#.into()));
    server.shutdown().await;
}
