//! The example binary against a real server: what is typed on its stdin reaches another
//! client, what the other client writes shows up on its stdout, and end of input disconnects
//! it cleanly.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use ycord_provider::{new_doc, ProviderOptions, WebsocketProvider};
use ycord_server::{Config, Server};
use yrs::{GetString, Observable, Text, Transact};

const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn typed_lines_reach_the_room_and_remote_edits_are_printed() {
    let server = Server::bind(Config {
        port: 0,
        ..Config::default()
    })
    .await
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_native-client"))
        .args([
            "--url",
            &server.ws_url(),
            "--room",
            "terminal",
            "--name",
            "tester",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();

    let doc = new_doc();
    let text = doc.get_or_insert_text("content");
    let (changed, mut changes) = tokio::sync::watch::channel(());
    text.observe("test/changes", move |_, _| {
        let _ = changed.send(());
    });
    let other = WebsocketProvider::new(
        &server.ws_url(),
        "terminal",
        doc.clone(),
        ProviderOptions::default(),
    );
    other.wait_synced().await;

    stdin.write_all(b"typed in the terminal\n").await.unwrap();
    tokio::time::timeout(PATIENCE, async {
        while text.get_string(&doc.transact()) != "typed in the terminal\n" {
            changes.changed().await.unwrap();
        }
    })
    .await
    .expect("the typed line reaches the other client");

    text.insert(&mut doc.transact_mut(), 0, "written remotely\n");
    tokio::time::timeout(PATIENCE, async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if line == "written remotely" {
                return;
            }
        }
        panic!("the example exited before printing the remote edit");
    })
    .await
    .expect("the remote edit is printed");

    drop(stdin);
    let status = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .expect("end of input ends the program")
        .unwrap();
    assert!(status.success());
}
