//! A stored update that cannot be read (written before updates were validated, by hand, or
//! damaged on disk) is set aside on load: the room loads everything else, the HTTP API lists
//! and deletes what was set aside, and `/metrics` counts it.

use bytes::Bytes;
use ycord_persistence::{DocStore, SqliteStore};
use ycord_protocol::{encode, Message, SyncMessage};
use ycord_server::{Config, Server, Storage};
use yrs::Doc;

use crate::support::{http, text_update, RawClient};

fn embedded(dir: &std::path::Path) -> Config {
    Config {
        port: 0,
        storage: Storage::Embedded(dir.to_owned()),
        ..Config::default()
    }
}

/// Writes "hello world" into `room` through the relay, then two unreadable rows straight into
/// the database file with the server stopped; returns the unreadable rows' sequence numbers
/// and bytes.
async fn store_honest_and_poisoned_rows(dir: &std::path::Path, room: &str) -> Vec<(u64, Vec<u8>)> {
    let server = Server::bind(embedded(dir)).await.unwrap();
    let doc = Doc::new();
    for content in ["world", "hello "] {
        let mut writer = RawClient::connect(&server, room).await;
        writer
            .send(encode::sync_update(&text_update(&doc, content)))
            .await;
        // The echo means the update is stored.
        writer
            .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
            .await;
    }
    server.shutdown().await;

    let store = SqliteStore::open(&dir.join(Storage::EMBEDDED_FILE)).unwrap();
    let mut truncated = text_update(&Doc::new(), "cut");
    truncated.pop();
    let mut rows = Vec::new();
    for bad in [
        crate::support::pending_update_with_invalid_utf8(),
        truncated,
    ] {
        let seq = store.append(room, Bytes::from(bad.clone())).await.unwrap();
        rows.push((seq, bad));
    }
    // A good update after the bad ones is loaded too.
    store
        .append(room, Bytes::from(text_update(&doc, ">> ")))
        .await
        .unwrap();
    rows
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
}

#[tokio::test]
async fn a_room_with_unreadable_rows_loads_the_rest_and_sets_them_aside() {
    let dir = tempfile::tempdir().unwrap();
    let rows = store_honest_and_poisoned_rows(dir.path(), "notes").await;
    let bad: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();

    let server = Server::bind(embedded(dir.path())).await.unwrap();
    let mut reader = RawClient::connect(&server, "notes").await;
    assert_eq!(reader.fetch_text().await, ">> hello world");

    let addr = server.local_addr();
    let (status, body) = http(addr, "GET", "/api/quarantine/notes", b"").await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let entries = list["quarantined"].as_array().unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, bad);
    for entry in entries {
        let reason = entry["reason"].as_str().unwrap();
        assert!(
            reason.contains("string content") || reason.contains("truncated"),
            "{reason}"
        );
    }
    let (_, metrics) = http(addr, "GET", "/metrics", b"").await;
    let metrics = String::from_utf8(metrics).unwrap();
    assert_eq!(metric(&metrics, "ycord_quarantined_updates_total"), 2);

    // The bytes are kept as they were stored, for whoever wants to look.
    let (status, bytes) = http(
        addr,
        "GET",
        &format!("/api/quarantine/notes?seq={}", bad[0]),
        b"",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(bytes, rows[0].1);

    // Deleted once: the second DELETE finds nothing.
    let delete = format!("/api/quarantine/notes?seq={}", bad[0]);
    for expected in [200, 404] {
        let (status, _) = http(addr, "DELETE", &delete, b"").await;
        assert_eq!(status, expected);
    }
    let (_, body) = http(addr, "GET", "/api/quarantine/notes", b"").await;
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(list["quarantined"].as_array().unwrap().len(), 1);
    server.shutdown().await;

    // Set aside for good: the next start loads without quarantining again.
    let server = Server::bind(embedded(dir.path())).await.unwrap();
    let mut reader = RawClient::connect(&server, "notes").await;
    assert_eq!(reader.fetch_text().await, ">> hello world");
    let (_, metrics) = http(server.local_addr(), "GET", "/metrics", b"").await;
    let metrics = String::from_utf8(metrics).unwrap();
    assert_eq!(metric(&metrics, "ycord_quarantined_updates_total"), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn the_http_api_reads_an_unloaded_room_with_unreadable_rows() {
    let dir = tempfile::tempdir().unwrap();
    let rows = store_honest_and_poisoned_rows(dir.path(), "api/notes").await;
    let bad: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();

    let server = Server::bind(embedded(dir.path())).await.unwrap();
    let addr = server.local_addr();
    let (status, body) = http(addr, "GET", "/api/rooms/api/notes?format=json", b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["text"], ">> hello world");
    let (_, body) = http(addr, "GET", "/api/quarantine/api/notes", b"").await;
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let seqs: Vec<u64> = list["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, bad);
    server.shutdown().await;
}
