//! A write that the file system refuses fails cleanly, and the store works again once the
//! condition clears — without reopening it.
//!
//! A full disk cannot be produced portably (a small tmpfs needs mount privileges), and a
//! read-only file or directory does not stop root, which CI runs as. `RLIMIT_FSIZE` stops
//! everyone, root included: past the limit, writes that grow a file fail (`EFBIG`), which
//! SQLite reports exactly like a full disk or an I/O error. The limit is per process, so the
//! test runs alone in a process of its own ([`run_alone`]); `prlimit` (util-linux) changes it.

use std::process::Command;

use bytes::Bytes;
use tokio::signal::unix::{signal, SignalKind};
use ycord_persistence::{DocStore, SqliteStore, StoreError};

use crate::own_process::run_alone;

/// `SIGXFSZ` on Linux; delivered on each write past the limit and fatal unless handled.
const SIGXFSZ: i32 = 25;

/// Limits the size of files this process may grow; restores the old limit when dropped.
struct FileSizeLimit {
    previous: String,
}

impl FileSizeLimit {
    fn set(bytes: u64) -> Self {
        let previous = prlimit(&["--fsize", "--raw", "--noheadings", "--output=SOFT,HARD"]);
        let previous = previous.split_whitespace().collect::<Vec<_>>().join(":");
        prlimit(&[&format!("--fsize={bytes}:")]);
        FileSizeLimit { previous }
    }
}

impl Drop for FileSizeLimit {
    fn drop(&mut self) {
        prlimit(&[&format!("--fsize={}", self.previous)]);
    }
}

fn prlimit(args: &[&str]) -> String {
    let pid = std::process::id().to_string();
    let output = Command::new("prlimit")
        .args(["--pid", &pid])
        .args(args)
        .output()
        .unwrap_or_else(|err| {
            panic!("this test needs `prlimit` (Debian: apt-get install util-linux): {err}")
        });
    assert!(
        output.status.success(),
        "prlimit {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn big_batch(marker: u8) -> Vec<(&'static str, Bytes)> {
    (0..64)
        .map(|_| ("room", Bytes::from(vec![marker; 16 * 1024])))
        .collect()
}

#[test]
fn sqlite_store_recovers_after_writes_past_the_file_size_limit_fail() {
    run_alone(
        "sqlite_recovers_after_a_failed_write::\
         sqlite_store_recovers_after_writes_past_the_file_size_limit_fail",
        || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(writes_past_the_file_size_limit_fail_and_then_succeed())
        },
    );
}

async fn writes_past_the_file_size_limit_fail_and_then_succeed() {
    // Handled, SIGXFSZ no longer kills the process and the write fails with EFBIG instead.
    let _sigxfsz = signal(SignalKind::from_raw(SIGXFSZ)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ycord.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    store
        .append("room", Bytes::from_static(b"before"))
        .await
        .unwrap();

    let err = {
        let _limit = FileSizeLimit::set(256 * 1024);
        store
            .append_batch(&big_batch(b'x'))
            .await
            .expect_err("1 MiB cannot fit under a 256 KiB file size limit")
    };
    let StoreError::Unavailable(text) = &err else {
        panic!("expected Unavailable, got {err:?}");
    };
    assert!(
        text.contains("disk I/O error") || text.contains("disk is full"),
        "SQLite's message is passed on: {text}"
    );
    assert!(text.contains(&path.display().to_string()), "{text}");

    // The limit is gone: the same store takes writes again, and the failed batch left nothing.
    store
        .append("room", Bytes::from_static(b"after"))
        .await
        .unwrap();
    store.append_batch(&big_batch(b'y')).await.unwrap();
    let check = |stored: Vec<ycord_persistence::StoredUpdate>| {
        assert_eq!(stored.len(), 2 + 64);
        assert_eq!(stored[0].data, &b"before"[..]);
        assert_eq!(stored[1].data, &b"after"[..]);
        assert!(stored[2..]
            .iter()
            .all(|u| u.data.iter().all(|&b| b == b'y')));
    };
    check(store.load("room").await.unwrap());

    drop(store);
    let reopened = SqliteStore::open(&path).unwrap();
    check(reopened.load("room").await.unwrap());
}
