//! A full disk: the real `ycord` binary keeps its embedded store on a tiny tmpfs of its own.
//! When the store cannot take an update, the room's clients are closed with 1011 and nothing
//! unstored is acknowledged; once space is back, the room works again and holds exactly what
//! was acknowledged.
//!
//! Mounting needs root (CI runs as root); the test fails loudly otherwise.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use ycord_protocol::{encode, Message, SyncMessage};
use yrs::Doc;

use crate::support::{text_update, RawClient};

struct Jailed {
    child: tokio::process::Child,
    url: String,
    data_dir: tempfile::TempDir,
}

impl Jailed {
    /// Starts ycord in a private mount namespace whose data dir is a tmpfs of `size`.
    async fn start(size: &str) -> Jailed {
        let euid = std::process::Command::new("id")
            .arg("-u")
            .output()
            .expect("id -u");
        assert_eq!(
            String::from_utf8_lossy(&euid.stdout).trim(),
            "0",
            "this test mounts a small tmpfs to fill the disk and must run as root (as CI does)"
        );
        let data_dir = tempfile::tempdir().unwrap();
        let script = format!(
            "mount -t tmpfs -o size={size} tmpfs '{dir}' && exec '{bin}' --port 0 --data-dir '{dir}' --room-grace 0",
            dir = data_dir.path().display(),
            bin = env!("CARGO_BIN_EXE_ycord"),
        );
        let mut child = tokio::process::Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("unshare (util-linux) runs");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // `ycord node <id>` comes first.
        let url = loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("ycord prints its address");
            if let Some(url) = line.strip_prefix("ycord listening on ") {
                break url.to_owned();
            }
        };
        Jailed {
            child,
            url,
            data_dir,
        }
    }

    async fn grow(&self, size: &str) {
        let pid = self.child.id().unwrap().to_string();
        let status = tokio::process::Command::new("nsenter")
            .args([
                "-t",
                &pid,
                "-m",
                "mount",
                "-o",
                &format!("remount,size={size}"),
            ])
            .arg(self.data_dir.path())
            .status()
            .await
            .unwrap();
        assert!(status.success(), "remount failed");
    }
}

#[tokio::test]
async fn a_full_disk_closes_with_1011_and_acknowledges_only_what_was_stored() {
    let server = Jailed::start("1m").await;
    let doc = Doc::new();
    let chunk = "x".repeat(16 * 1024);
    let mut writer = RawClient::connect_url(&server.url, "filler").await;
    let mut watcher = RawClient::connect_url(&server.url, "filler").await;

    let mut acknowledged = 0usize;
    let (code, reason) = loop {
        assert!(acknowledged < 1000, "the 1 MiB disk never filled up");
        writer
            .send(encode::sync_update(&text_update(&doc, &chunk)))
            .await;
        match next_update_or_close(&mut writer).await {
            Ok(()) => acknowledged += 1,
            Err(close) => break close,
        }
    };
    assert_eq!(code, 1011, "reason: {reason}");
    assert!(reason.contains("storage unavailable"), "reason: {reason}");
    // The other client of the room saw exactly the acknowledged updates, then the same close.
    for _ in 0..acknowledged {
        watcher
            .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
            .await;
    }
    assert_eq!(watcher.close_code().await.0, 1011);

    server.grow("64m").await;
    // The room reloads from the store: exactly the acknowledged updates are there.
    let mut reader = RawClient::connect_url(&server.url, "filler").await;
    let text = reader.fetch_text().await;
    assert_eq!(text.len(), acknowledged * chunk.len());
    // And it takes new updates again.
    let fresh = Doc::new();
    reader
        .send(encode::sync_update(&text_update(&fresh, "back")))
        .await;
    reader
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
        .await;
    eprintln!(
        "{acknowledged} updates of {} bytes acknowledged before the disk was full",
        chunk.len()
    );
}

/// Waits for the echo of the update just sent, or the close that replaces it.
async fn next_update_or_close(client: &mut RawClient) -> Result<(), (u16, String)> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    loop {
        let message = tokio::time::timeout(crate::support::TIMEOUT, client.ws.next())
            .await
            .expect("an echo or a close within the timeout")
            .expect("stream open")
            .expect("no error");
        match message {
            WsMessage::Binary(frame) => {
                let messages = ycord_protocol::decode_frame(&frame).unwrap();
                if messages
                    .iter()
                    .any(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
                {
                    return Ok(());
                }
            }
            WsMessage::Close(Some(frame)) => {
                return Err((u16::from(frame.code), frame.reason.to_string()))
            }
            WsMessage::Close(None) => return Err((1005, String::new())),
            _ => {}
        }
    }
}
