//! A full disk: appends fail with SQLite's "database or disk is full", nothing of the failed
//! batch is stored, and the same store takes writes again once space is freed.
//!
//! The test fills a 1 MiB tmpfs of its own: it re-runs itself in a private mount namespace
//! (`unshare`, util-linux) with the tmpfs mounted on a temp dir. Mounting needs root, as CI
//! runs; the test fails loudly otherwise.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use ycord_persistence::{DocStore, SqliteStore, StoreError, StoredUpdate};

/// Set in the re-run: the mounted tmpfs to work in.
const FULL_DISK_DIR: &str = "YCORD_TEST_FULL_DISK_DIR";

/// The test's path in this binary, for the re-run.
const TEST_NAME: &str = "sqlite_recovers_after_the_disk_fills_up::\
                         sqlite_store_reports_a_full_disk_and_recovers_when_space_is_freed";

#[test]
fn sqlite_store_reports_a_full_disk_and_recovers_when_space_is_freed() {
    match std::env::var_os(FULL_DISK_DIR) {
        Some(dir) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
            .block_on(on_a_small_disk(&PathBuf::from(dir))),
        None => rerun_on_a_small_tmpfs(),
    }
}

fn rerun_on_a_small_tmpfs() {
    let uid = Command::new("id").arg("-u").output().expect("id -u runs");
    assert_eq!(
        String::from_utf8_lossy(&uid.stdout).trim(),
        "0",
        "this test mounts a small tmpfs to fill the disk and must run as root (as CI does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "mount -t tmpfs -o size=1m tmpfs '{dir}' && exec '{exe}' --exact {TEST_NAME} --nocapture --test-threads=1",
        dir = dir.path().display(),
        exe = std::env::current_exe().unwrap().display(),
    );
    // Output captured, so the re-run's own `test result:` line does not count as a test.
    let output = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .env(FULL_DISK_DIR, dir.path())
        .output()
        .expect("unshare (util-linux) runs");
    // A name that matches no test would pass without running anything.
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the test failed in its mount namespace ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn on_a_small_disk(dir: &Path) {
    let path = dir.join("ycord.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    store
        .append("room", Bytes::from_static(b"before"))
        .await
        .unwrap();

    let filler = dir.join("filler");
    fill(&filler);
    let batch: Vec<(&str, Bytes)> = (0..16)
        .map(|_| ("room", Bytes::from(vec![b'x'; 16 * 1024])))
        .collect();
    let err = store
        .append_batch(&batch)
        .await
        .expect_err("256 KiB cannot fit on a full disk");
    println!("append on a full disk: {err}");
    let StoreError::Unavailable(text) = &err else {
        panic!("expected Unavailable, got {err:?}");
    };
    assert!(text.contains("database or disk is full"), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");

    std::fs::remove_file(&filler).unwrap();
    store
        .append("room", Bytes::from_static(b"after"))
        .await
        .expect("the store works again once there is space");
    let expected = |stored: &[StoredUpdate]| {
        stored.iter().map(|u| u.data.as_ref()).collect::<Vec<_>>() == [&b"before"[..], b"after"]
    };
    assert!(expected(&store.load("room").await.unwrap()));
    drop(store);
    let reopened = SqliteStore::open(&path).unwrap();
    assert!(expected(&reopened.load("room").await.unwrap()));
}

/// Writes `path` until the file system has no space left.
fn fill(path: &Path) {
    let mut file = File::create(path).unwrap();
    let chunk = vec![0u8; 4096];
    loop {
        match file.write_all(&chunk) {
            Ok(()) => {}
            Err(err) if err.kind() == ErrorKind::StorageFull => break,
            Err(err) => panic!("filling the disk: {err}"),
        }
    }
    // Whatever fits, byte by byte, so not even a page is left.
    while file.write_all(&[0]).is_ok() {}
    let _ = file.sync_all();
}
