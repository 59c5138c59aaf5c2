//! Health, liveness, unloading idle rooms and shutdown, against the real server.

use std::time::Duration;

use ycord_protocol::{encode, Message, SyncMessage};
use ycord_server::{Config, Limits, Server};
use yrs::Doc;

use crate::support::{http, server, text_update, RawClient, TIMEOUT};

async fn wait_for_stats(server: &Server, rooms: usize, connections: usize) {
    tokio::time::timeout(TIMEOUT, async {
        loop {
            let stats = server.stats();
            if (stats.rooms, stats.connections) == (rooms, connections) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "expected {rooms} rooms / {connections} connections, have {:?}",
            server.stats()
        )
    });
}

#[tokio::test]
async fn health_reports_rooms_and_connections() {
    let server = server(Config::default()).await;
    let _a = RawClient::connect(&server, "one").await;
    let _b = RawClient::connect(&server, "one").await;
    let _c = RawClient::connect(&server, "two").await;
    wait_for_stats(&server, 2, 3).await;
    let (status, body) = http(server.local_addr(), "GET", "/health", b"").await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["rooms"], 2);
    assert_eq!(json["connections"], 3);
    server.shutdown().await;
}

#[tokio::test]
async fn room_is_raw_path_not_percent_decoded() {
    let server = server(Config::default()).await;
    let doc = Doc::new();
    let mut encoded = RawClient::connect(&server, "%41").await;
    encoded
        .send(encode::sync_update(&text_update(&doc, "x")))
        .await;
    encoded
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
        .await;
    let mut decoded = RawClient::connect(&server, "A").await;
    assert_eq!(decoded.fetch_text().await, "");
    let mut same = RawClient::connect(&server, "%41").await;
    assert_eq!(same.fetch_text().await, "x");
    server.shutdown().await;
}

#[tokio::test]
async fn idle_room_is_unloaded_and_reloaded_with_its_content() {
    let server = server(Config {
        room_grace: Duration::from_millis(50),
        ..Config::default()
    })
    .await;
    let mut writer = RawClient::connect(&server, "room").await;
    writer
        .send(encode::sync_update(&text_update(&Doc::new(), "kept")))
        .await;
    writer
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
        .await;
    drop(writer);
    wait_for_stats(&server, 0, 0).await;

    let mut reader = RawClient::connect(&server, "room").await;
    assert_eq!(reader.fetch_text().await, "kept");
    server.shutdown().await;
}

#[tokio::test]
async fn connection_without_pong_is_dropped_with_4000() {
    let server = server(Config {
        ping_interval: Duration::from_millis(100),
        ..Config::default()
    })
    .await;
    let mut silent = RawClient::connect(&server, "room").await;
    // Not reading means never answering the pings.
    wait_for_stats(&server, 1, 0).await;
    assert_eq!(silent.close_code().await.0, 4000);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001() {
    let server = server(Config::default()).await;
    let mut a = RawClient::connect(&server, "one").await;
    let mut b = RawClient::connect(&server, "two").await;
    wait_for_stats(&server, 2, 2).await;
    server.shutdown().await;
    assert_eq!(a.close_code().await.0, 1001);
    assert_eq!(b.close_code().await.0, 1001);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_the_room_carries_on() {
    let server = server(Config {
        send_queue: 4,
        write_timeout: Duration::from_millis(200),
        // The writer sends up to 100 MiB as fast as it can: this is about the stalled reader,
        // not the writer's byte rate.
        limits: Limits {
            bytes_per_second: usize::MAX / 2,
            ..Limits::default()
        },
        ..Config::default()
    })
    .await;
    let mut stalled = RawClient::connect(&server, "room").await;
    let mut writer = RawClient::connect(&server, "room").await;
    wait_for_stats(&server, 1, 2).await;
    let doc = Doc::new();
    // Enough echoed data to fill the stalled client's socket buffers and then its queue;
    // the writer reads each echo, so only the stalled client falls behind.
    let chunk = "y".repeat(256 * 1024);
    let mut sent = 0;
    while server.stats().connections == 2 {
        assert!(sent < 400, "the stalled client was never dropped");
        writer
            .send(encode::sync_update(&text_update(&doc, &chunk)))
            .await;
        writer
            .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
            .await;
        sent += 1;
    }
    assert_eq!(server.stats().connections, 1);
    // The writer still gets its echoes.
    writer
        .send(encode::sync_update(&text_update(&doc, "z")))
        .await;
    writer
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
        .await;
    // The stalled client finds its stream ended once it reads what was buffered.
    tokio::time::timeout(TIMEOUT, async {
        use futures_util::StreamExt;
        while let Some(Ok(message)) = stalled.ws.next().await {
            if let tokio_tungstenite::tungstenite::Message::Close(frame) = message {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1008));
                break;
            }
        }
    })
    .await
    .expect("the stalled connection ends");
    server.shutdown().await;
}
