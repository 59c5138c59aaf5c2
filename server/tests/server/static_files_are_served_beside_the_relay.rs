//! With a static directory, plain GETs get its files while WebSocket upgrades on any path
//! still reach the relay.

use std::path::PathBuf;

use ycord_protocol::{encode, Message, SyncMessage};
use ycord_server::Config;
use yrs::Doc;

use crate::support::{http, server, text_update, RawClient};

#[tokio::test]
async fn plain_gets_get_files_and_upgrades_get_rooms() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<h1>editor</h1>").unwrap();
    std::fs::write(dir.path().join("app.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let server = server(Config {
        static_dir: Some(PathBuf::from(dir.path())),
        ..Config::default()
    })
    .await;
    let addr = server.local_addr();

    let (status, body) = http(addr, "GET", "/", b"").await;
    assert_eq!((status, body.as_slice()), (200, &b"<h1>editor</h1>"[..]));
    let (status, body) = http(addr, "GET", "/app.wasm", b"").await;
    assert_eq!((status, body.as_slice()), (200, &b"\0asm\x01\0\0\0"[..]));
    let (status, _) = http(addr, "GET", "/missing.js", b"").await;
    assert_eq!(status, 404);
    let (status, _) = http(addr, "GET", "/../Cargo.toml", b"").await;
    assert_eq!(status, 404, "nothing outside the directory is served");
    let (status, _) = http(addr, "GET", "/health", b"").await;
    assert_eq!(status, 200, "the server's own routes win");

    // A room named like a file is still a room.
    let mut client = RawClient::connect(&server, "app.wasm").await;
    let update = text_update(&Doc::new(), "hello");
    client.send(encode::sync_update(&update)).await;
    client
        .frame_where(|message| matches!(message, Message::Sync(SyncMessage::Update(_))))
        .await;
    assert_eq!(client.fetch_text().await, "hello");
}

#[tokio::test]
async fn without_a_static_directory_no_file_is_served() {
    let server = server(Config::default()).await;
    let (status, _) = http(server.local_addr(), "GET", "/index.html", b"").await;
    assert_eq!(status, 404);
}
