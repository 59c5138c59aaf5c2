//! Rooms kept in the embedded store come back after a restart, are loaded before the first
//! sync answer, and stay identical through compaction.

use std::time::Duration;

use ycord_protocol::{encode, Message, SyncMessage};
use ycord_server::{Compaction, Config, Server, Storage};
use yrs::Doc;

use crate::support::{text_update, RawClient, TIMEOUT};

fn embedded(dir: &std::path::Path) -> Config {
    Config {
        port: 0,
        storage: Storage::Embedded(dir.to_owned()),
        ..Config::default()
    }
}

async fn write(server: &Server, room: &str, doc: &Doc, content: &str) {
    let mut writer = RawClient::connect(server, room).await;
    writer
        .send(encode::sync_update(&text_update(doc, content)))
        .await;
    // The echo means the update is stored.
    writer
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
        .await;
}

#[tokio::test]
async fn first_sync_answer_after_a_restart_holds_the_stored_content() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::bind(embedded(dir.path())).await.unwrap();
    let doc = Doc::new();
    write(&server, "notes", &doc, "world").await;
    write(&server, "notes", &doc, "hello ").await;
    server.shutdown().await;

    let server = Server::bind(embedded(dir.path())).await.unwrap();
    let mut reader = RawClient::connect(&server, "notes").await;
    // The very first step2 the server sends already has everything.
    assert_eq!(reader.fetch_text().await, "hello world");
    server.shutdown().await;
}

#[tokio::test]
async fn first_sync_answer_after_a_restart_holds_the_content_stored_in_postgres() {
    let url = std::env::var("YCORD_TEST_POSTGRES_URL").expect(
        "YCORD_TEST_POSTGRES_URL is not set: run `cargo xtask test`, which starts PostgreSQL",
    );
    let config = Config {
        port: 0,
        storage: Storage::Postgres(url),
        ..Config::default()
    };
    // The database is shared with other tests: a fresh room name keeps this one apart.
    let room = format!("notes-{}", std::process::id());
    let server = Server::bind(config.clone()).await.unwrap();
    let doc = Doc::new();
    write(&server, &room, &doc, "world").await;
    write(&server, &room, &doc, "hello ").await;
    server.shutdown().await;

    let server = Server::bind(config).await.unwrap();
    let mut reader = RawClient::connect(&server, &room).await;
    assert_eq!(reader.fetch_text().await, "hello world");
    server.shutdown().await;
}

#[tokio::test]
async fn compaction_shrinks_the_log_and_keeps_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        compaction: Compaction {
            max_updates: 10,
            max_bytes: u64::MAX,
        },
        ..embedded(dir.path())
    };
    let server = Server::bind(config.clone()).await.unwrap();
    let doc = Doc::new();
    let mut expected = String::new();
    for i in 0..45 {
        let piece = format!("{i},");
        write(&server, "log", &doc, &piece).await;
        expected.insert_str(0, &piece);
    }
    // Wait for the background compaction to have run at least once.
    tokio::time::timeout(TIMEOUT, async {
        while server.metrics().compactions() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("a compaction ran");
    server.shutdown().await;

    let store =
        ycord_persistence::SqliteStore::open(&dir.path().join(Storage::EMBEDDED_FILE)).unwrap();
    let stored = ycord_persistence::DocStore::load(&store, "log")
        .await
        .unwrap();
    assert!(
        stored.len() < 45,
        "the log was compacted, {} updates remain",
        stored.len()
    );
    drop(store);

    let server = Server::bind(config).await.unwrap();
    let mut reader = RawClient::connect(&server, "log").await;
    assert_eq!(reader.fetch_text().await, expected);
    server.shutdown().await;
}
