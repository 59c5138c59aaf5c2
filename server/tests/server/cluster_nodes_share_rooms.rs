//! Two nodes in one process sharing a real PostgreSQL database and a real Redis: what one
//! node's clients do reaches the other's. (The three-process tests with JavaScript clients,
//! killed nodes and a restarted Redis are in the interop suite.)

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ycord_protocol::{decode_frame, encode, Message as YMessage, SyncMessage};
use ycord_server::{ClusterConfig, Config, Server, StartError, Storage};
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::AwarenessUpdate;
use yrs::Doc;

use crate::support::{http, text_of_update, text_update, RawClient, TIMEOUT};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `cargo xtask test`, which starts PostgreSQL and Redis")
    })
}

/// A configuration for nodes of one fresh cluster: its own PostgreSQL schema (so rooms of
/// other tests stay apart) and the shared Redis, whose keys are per room name.
fn cluster_config() -> Config {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let schema = format!(
        "ycord_cluster_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let postgres = env("YCORD_TEST_POSTGRES_URL");
    let separator = if postgres.contains('?') { '&' } else { '?' };
    Config {
        port: 0,
        storage: Storage::Postgres(format!(
            "{postgres}{separator}options=-c%20search_path%3D{schema}"
        )),
        cluster: Some(ClusterConfig::new(env("YCORD_TEST_REDIS_URL"))),
        ..Config::default()
    }
}

/// A room name no other test (or earlier run against the same Redis) uses.
fn unique_room(label: &str) -> String {
    format!("{label}-{}-{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    u64::try_from(nanos % 1_000_000_000_000).unwrap()
}

async fn nodes() -> (Server, Server) {
    let config = cluster_config();
    let first = Server::bind(config.clone()).await.expect("first node");
    let second = Server::bind(config).await.expect("second node");
    (first, second)
}

/// The text of the first update frame (not a step2) `client` receives.
async fn next_update_text(client: &mut RawClient) -> String {
    let frame = client
        .frame_where(|m| matches!(m, YMessage::Sync(SyncMessage::Update(_))))
        .await;
    match &decode_frame(&frame).unwrap()[0] {
        YMessage::Sync(SyncMessage::Update(update)) => text_of_update(update),
        other => panic!("expected an update, got {other:?}"),
    }
}

fn awareness(client: u64, clock: u32, json: &str) -> Vec<u8> {
    let mut clients = std::collections::HashMap::new();
    clients.insert(
        yrs::ClientID::new(client),
        AwarenessUpdateEntry {
            clock,
            json: json.into(),
        },
    );
    encode::awareness(&AwarenessUpdate { clients })
}

/// The state of `client` in the next awareness frame that mentions it.
async fn next_state_of(reader: &mut RawClient, client: u64) -> String {
    loop {
        let frame = reader
            .frame_where(|m| matches!(m, YMessage::Awareness(_)))
            .await;
        for message in decode_frame(&frame).unwrap() {
            if let YMessage::Awareness(update) = message {
                if let Some(entry) = update.clients.get(&yrs::ClientID::new(client)) {
                    return entry.json.to_string();
                }
            }
        }
    }
}

#[tokio::test]
async fn an_update_stored_on_one_node_reaches_the_clients_of_another() {
    let (first, second) = nodes().await;
    let room = unique_room("relay");
    let mut reader = RawClient::connect(&second, &room).await;
    assert_eq!(reader.fetch_text().await, "");
    let mut writer = RawClient::connect(&first, &room).await;
    writer
        .send(encode::sync_update(&text_update(&Doc::new(), "across")))
        .await;
    assert_eq!(next_update_text(&mut reader).await, "across");
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn a_late_joiner_on_another_node_gets_everything_in_its_first_step2() {
    let (first, second) = nodes().await;
    let room = unique_room("late");
    let mut writer = RawClient::connect(&first, &room).await;
    let doc = Doc::new();
    for word in ["c", "b", "a"] {
        writer
            .send(encode::sync_update(&text_update(&doc, word)))
            .await;
        // The echo comes once the update is stored.
        next_update_text(&mut writer).await;
    }
    let mut late = RawClient::connect(&second, &room).await;
    assert_eq!(late.fetch_text().await, "abc");
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn awareness_crosses_nodes_and_a_clean_close_removes_it_at_once() {
    let (first, second) = nodes().await;
    let room = unique_room("presence");
    let mut watcher = RawClient::connect(&second, &room).await;
    assert_eq!(watcher.fetch_text().await, "");
    let mut present = RawClient::connect(&first, &room).await;
    present.send(awareness(42, 1, r#"{"user":"ada"}"#)).await;
    assert_eq!(next_state_of(&mut watcher, 42).await, r#"{"user":"ada"}"#);
    present.ws.close(None).await.unwrap();
    assert_eq!(next_state_of(&mut watcher, 42).await, "null");
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn deleting_a_room_on_one_node_closes_its_sockets_on_every_node() {
    let (first, second) = nodes().await;
    let room = unique_room("deleted");
    let mut elsewhere = RawClient::connect(&second, &room).await;
    assert_eq!(elsewhere.fetch_text().await, "");
    let (status, _) = http(
        first.local_addr(),
        "DELETE",
        &format!("/api/rooms/{room}"),
        b"",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(elsewhere.close_code().await.0, 4410);
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn health_names_the_node_and_whether_redis_answers() {
    let (first, second) = nodes().await;
    assert_ne!(first.node_id(), second.node_id());
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let health = loop {
        let (status, body) = http(first.local_addr(), "GET", "/health", b"").await;
        assert_eq!(status, 200);
        let health: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if health["cluster"]["redis"] == "connected" || tokio::time::Instant::now() > deadline {
            break health;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(health["node"], first.node_id());
    assert_eq!(health["cluster"]["redis"], "connected");
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn a_cluster_without_a_shared_store_does_not_start() {
    let config = Config {
        port: 0,
        storage: Storage::Memory,
        cluster: Some(ClusterConfig::new("redis://127.0.0.1:1")),
        ..Config::default()
    };
    match Server::bind(config).await {
        Err(StartError::Config(reason)) => assert!(reason.contains("--database-url"), "{reason}"),
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a cluster node started on a store only it can see"),
    }
}
