//! What only the SQLite backend has: a file that outlives the store, and errors from it.

use std::time::{Duration, Instant};

use bytes::Bytes;
use ycord_persistence::{DocStore, SqliteStore, StoreError};

use crate::cases::assert_quarantined;
use crate::clock::now_ms;
use crate::updates::{snapshot_of, Editor};

#[tokio::test]
async fn everything_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("ycord.sqlite3");
    let mut editor = Editor::new(5);
    let (loaded, listed, last_seq) = {
        let store = SqliteStore::open(&path).unwrap();
        let updates = editor.type_text(20);
        let batch: Vec<(&str, Bytes)> = updates
            .iter()
            .enumerate()
            .map(|(i, u)| (["kept", "gone"][i % 2], Bytes::from(u.clone())))
            .collect();
        let seqs = store.append_batch(&batch).await.unwrap();
        let kept = store.load("kept").await.unwrap();
        let data: Vec<&[u8]> = kept.iter().map(|u| u.data.as_ref()).collect();
        store
            .compact(
                "kept",
                kept[5].seq,
                Bytes::from(snapshot_of(data[..6].iter().copied())),
            )
            .await
            .unwrap();
        store.delete("gone").await.unwrap();
        (
            store.load("kept").await.unwrap(),
            store.list().await.unwrap(),
            *seqs.iter().max().unwrap(),
        )
    };

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.load("kept").await.unwrap(), loaded);
    assert_eq!(store.list().await.unwrap(), listed);
    assert_eq!(store.load("gone").await.unwrap(), []);
    let next = store
        .append("kept", Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();
    assert!(
        next > last_seq,
        "seqs are never reused, not even those of deleted documents"
    );
}

#[tokio::test]
async fn closing_the_store_folds_the_wal_back_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ycord.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    store
        .append("room", Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();
    let wal = dir.path().join("ycord.sqlite3-wal");
    assert!(wal.exists(), "WAL mode keeps a -wal sidecar while open");
    drop(store);
    assert!(
        !wal.exists(),
        "the last connection checkpoints and removes the WAL"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["ycord.sqlite3"]);
}

#[tokio::test]
async fn opening_below_a_regular_file_fails_with_the_path_in_the_error() {
    // Root can write anywhere, but nobody can create a directory inside a file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let path = file.join("ycord.sqlite3");
    let err = SqliteStore::open(&path).expect_err("cannot create a database there");
    let StoreError::Unavailable(text) = &err else {
        panic!("expected Unavailable, got {err:?}");
    };
    assert!(text.contains(&file.display().to_string()), "{text}");

    // The directory exists but the file name is taken by a directory.
    let taken = dir.path().join("taken");
    std::fs::create_dir(&taken).unwrap();
    let err = SqliteStore::open(&taken).expect_err("a directory is not a database");
    let StoreError::Unavailable(text) = &err else {
        panic!("expected Unavailable, got {err:?}");
    };
    assert!(text.contains("unable to open database file"), "{text}");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_reported_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ycord.sqlite3");
    std::fs::write(&path, vec![0x42; 8192]).unwrap();
    let err = SqliteStore::open(&path).expect_err("garbage is not a database");
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
}

#[tokio::test]
async fn a_newer_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ycord.sqlite3");
    drop(SqliteStore::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = SqliteStore::open(&path).expect_err("schema 99 is from the future");
    assert!(
        matches!(&err, StoreError::Corrupt(text) if text.contains("schema version 99")),
        "{err:?}"
    );
}

/// The layout of schema version 1, as ycord created it before the quarantine existed.
const SCHEMA_VERSION_1: &str = "
    PRAGMA journal_mode = WAL;
    CREATE TABLE ycord_updates (
        seq  INTEGER PRIMARY KEY AUTOINCREMENT,
        doc  TEXT NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX ycord_updates_by_doc ON ycord_updates (doc, seq);
    PRAGMA user_version = 1;
";

#[tokio::test]
async fn a_version_1_database_migrates_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ycord.sqlite3");
    let updates = Editor::new(9).type_text(3);
    {
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(SCHEMA_VERSION_1).unwrap();
        for (doc, data) in [
            ("room", &updates[0]),
            ("gone", &updates[1]),
            ("room", &updates[2]),
        ] {
            old.execute(
                "INSERT INTO ycord_updates (doc, data) VALUES (?1, ?2)",
                rusqlite::params![doc, data],
            )
            .unwrap();
        }
        // The last seq version 1 handed out, of a document deleted since.
        old.execute("DELETE FROM ycord_updates WHERE doc = 'gone'", [])
            .unwrap();
    }

    let store = SqliteStore::open(&path).unwrap();
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, 2);
    let loaded = store.load("room").await.unwrap();
    assert_eq!(
        loaded
            .iter()
            .map(|u| (u.seq, u.data.as_ref()))
            .collect::<Vec<_>>(),
        [(1, &updates[0][..]), (3, &updates[2][..])]
    );
    assert_eq!(store.list().await.unwrap().len(), 1);
    let next = store
        .append("room", Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();
    assert_eq!(next, 4, "seqs of version 1 are never reused");

    // The quarantine works on the migrated file, and survives reopening it.
    let started = now_ms();
    store
        .quarantine("room", &[(1, "from version 1".to_owned())])
        .await
        .unwrap();
    let window = started..=now_ms();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_quarantined(
        &store.quarantined("room").await.unwrap(),
        &[(1, &Bytes::from(updates[0].clone()), "from version 1")],
        &window,
    );
    assert_eq!(
        store
            .load("room")
            .await
            .unwrap()
            .iter()
            .map(|u| u.seq)
            .collect::<Vec<_>>(),
        [3, 4]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_lock_held_elsewhere_fails_appends_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ycord.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    let before = store
        .append("room", Bytes::from_static(b"before"))
        .await
        .unwrap();

    // Another process (here: another connection, e.g. the sqlite3 shell) takes the write lock.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    let started = Instant::now();
    let err = store
        .append("room", Bytes::from_static(b"refused"))
        .await
        .expect_err("the write lock is taken");
    assert!(
        matches!(&err, StoreError::Unavailable(text) if text.contains("database is locked")),
        "{err:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "waits for the lock first"
    );
    // Readers are not blocked by a writer in WAL mode.
    assert_eq!(store.load("room").await.unwrap().len(), 1);

    other.execute_batch("COMMIT").unwrap();
    let after = store
        .append("room", Bytes::from_static(b"after"))
        .await
        .unwrap();
    assert!(after > before);
    let stored: Vec<Bytes> = store
        .load("room")
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.data)
        .collect();
    assert_eq!(stored, [&b"before"[..], &b"after"[..]]);
}
