//! What only the PostgreSQL backend has: connections that can drop and come back.

use std::sync::Arc;

use bytes::Bytes;
use ycord_persistence::{CompactOutcome, DocStore, PostgresStore, StoreError};

use crate::backends::pg;
use crate::cases::assert_quarantined;
use crate::clock::now_ms;
use crate::updates::Editor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_reconnects_after_its_connections_are_killed() {
    let schema = pg::Schema::create().await;
    let application = format!("{}_store", schema.name());
    let store = PostgresStore::connect(&schema.url(Some(&application)))
        .await
        .unwrap();
    store
        .append("room", Bytes::from_static(b"before"))
        .await
        .unwrap();
    assert_eq!(store.load("room").await.unwrap().len(), 1);

    let killed: i64 = pg::admin()
        .await
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&application],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(killed, 2, "the store has a write and a read connection");

    // The call that finds a connection dead may fail (and say so); the next one reconnects.
    let mut failures = 0;
    let after = loop {
        match store.append("room", Bytes::from_static(b"after")).await {
            Ok(seq) => break seq,
            Err(StoreError::Unavailable(text)) if failures == 0 => {
                assert!(text.contains("PostgreSQL"), "{text}");
                failures += 1;
            }
            Err(err) => panic!("the store did not recover: {err:?}"),
        }
    };
    let stored = loop {
        match store.load("room").await {
            Ok(stored) => break stored,
            Err(StoreError::Unavailable(_)) if failures < 2 => failures += 1,
            Err(err) => panic!("the store did not recover: {err:?}"),
        }
    };
    let data: Vec<&[u8]> = stored.iter().map(|u| u.data.as_ref()).collect();
    assert_eq!(data, [&b"before"[..], &b"after"[..]]);
    assert_eq!(stored[1].seq, after);

    drop(store);
    schema.drop().await;
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = PostgresStore::connect(&format!("postgres://ycord:secret@127.0.0.1:{port}/db"))
        .await
        .expect_err("nothing listens there");
    let StoreError::Unavailable(text) = &err else {
        panic!("expected Unavailable, got {err:?}");
    };
    assert!(
        text.contains(&format!(
            "cannot connect to PostgreSQL at 127.0.0.1:{port}/db"
        )),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_starting_together_create_the_schema_once() {
    let schema = pg::Schema::create().await;
    let url = schema.url(None);
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url).await })
        })
        .collect();
    let mut stores = Vec::new();
    for start in starts {
        stores.push(Arc::new(start.await.unwrap().expect("every store starts")));
    }

    let seq = stores[0]
        .append("room", Bytes::from_static(b"one"))
        .await
        .unwrap();
    let later = stores[3]
        .append("room", Bytes::from_static(b"two"))
        .await
        .unwrap();
    assert!(later > seq, "all stores draw from one sequence");
    assert_eq!(stores[1].load("room").await.unwrap().len(), 2);

    drop(stores);
    schema.drop().await;
}

#[tokio::test]
async fn a_new_store_on_the_same_database_finds_everything() {
    let schema = pg::Schema::create().await;
    let (loaded, listed) = {
        let store = PostgresStore::connect(&schema.url(None)).await.unwrap();
        store
            .append_batch(&[
                ("a", Bytes::from_static(b"1")),
                ("b", Bytes::from_static(b"22")),
                ("a", Bytes::from_static(b"333")),
            ])
            .await
            .unwrap();
        (store.load("a").await.unwrap(), store.list().await.unwrap())
    };
    let store = PostgresStore::connect(&schema.url(None)).await.unwrap();
    assert_eq!(store.load("a").await.unwrap(), loaded);
    assert_eq!(store.list().await.unwrap(), listed);
    drop(store);
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_the_quarantine_gains_it_and_keeps_its_rows() {
    let schema = pg::Schema::create().await;
    // The layout before the quarantine existed, with one document in it.
    let admin = pg::admin().await;
    admin
        .batch_execute(&format!(
            "SET search_path TO {name};
             CREATE SEQUENCE ycord_update_seq AS BIGINT;
             CREATE TABLE ycord_updates (
                 doc  TEXT   NOT NULL,
                 seq  BIGINT NOT NULL,
                 data BYTEA  NOT NULL,
                 PRIMARY KEY (doc, seq)
             );
             INSERT INTO ycord_updates (doc, seq, data)
             VALUES ('room', nextval('ycord_update_seq'), '\\x0102'),
                    ('room', nextval('ycord_update_seq'), '\\x0304');",
            name = schema.name()
        ))
        .await
        .unwrap();

    let store = PostgresStore::connect(&schema.url(None)).await.unwrap();
    let loaded = store.load("room").await.unwrap();
    let rows: Vec<(u64, &[u8])> = loaded.iter().map(|u| (u.seq, u.data.as_ref())).collect();
    assert_eq!(rows, [(1, &[1, 2][..]), (2, &[3, 4][..])]);

    let started = now_ms();
    store
        .quarantine("room", &[(1, "from before".to_owned())])
        .await
        .unwrap();
    let window = started..=now_ms();
    assert_quarantined(
        &store.quarantined("room").await.unwrap(),
        &[(1, &Bytes::from_static(&[1, 2]), "from before")],
        &window,
    );
    let next = store
        .append("room", Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();
    assert_eq!(next, 3, "the old sequence goes on");

    drop(store);
    schema.drop().await;
}

/// The lock `PostgresStore` documents for a document's compactions and deletion: the first
/// key is "ycrd" in ASCII, the second a hash of the schema (`$2`) and the document (`$1`).
const DOC_LOCK: &str = "SELECT pg_advisory_xact_lock(2036560484, hashtext($2 || '.' || $1))";

/// How many sessions wait for that lock.
const WAITING_FOR_DOC_LOCK: &str = "
    SELECT count(*) FROM pg_locks
    WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2
      AND classid::bigint = 2036560484
      AND objid::bigint = hashtext($2 || '.' || $1)::bigint & 4294967295
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_servers_document_lock_stops_compaction_and_holds_deletion() {
    let schema = pg::Schema::create().await;
    let store = Arc::new(PostgresStore::connect(&schema.url(None)).await.unwrap());
    let updates = Editor::new(1).type_text(5);
    for update in &updates {
        store
            .append("room", Bytes::from(update.clone()))
            .await
            .unwrap();
    }
    let before = store.load("room").await.unwrap();

    // Another server holding the lock, as it does while it compacts or deletes "room".
    let mut holder = pg::admin().await;
    let holding = holder.transaction().await.unwrap();
    holding
        .execute(DOC_LOCK, &[&"room", &schema.name()])
        .await
        .unwrap();

    // Compaction does not wait for it, and changes nothing.
    assert_eq!(
        store.compact_stored("room", None).await.unwrap(),
        CompactOutcome::LockedByAnotherStore
    );
    assert_eq!(store.load("room").await.unwrap(), before);
    // Appends take no lock, and other documents compact.
    store
        .append_batch(&[
            ("room", Bytes::from_static(b"\x00\x00")),
            ("other", Bytes::from_static(b"\x00\x00")),
            ("other", Bytes::from_static(b"\x00\x00")),
        ])
        .await
        .unwrap();
    assert!(matches!(
        store.compact_stored("other", None).await.unwrap(),
        CompactOutcome::Compacted { .. }
    ));

    // Deletion waits for it.
    let deletion = tokio::spawn({
        let store = Arc::clone(&store);
        async move { store.delete("room").await }
    });
    let watcher = pg::admin().await;
    loop {
        let waiting: i64 = watcher
            .query_one(WAITING_FOR_DOC_LOCK, &[&"room", &schema.name()])
            .await
            .unwrap()
            .get(0);
        if waiting == 1 {
            break;
        }
        assert!(
            !deletion.is_finished(),
            "the deletion did not wait for the lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(store.load("room").await.unwrap().len(), 6);

    holding.commit().await.unwrap();
    deletion.await.unwrap().unwrap();
    assert_eq!(store.load("room").await.unwrap(), []);
    assert_eq!(
        store.compact_stored("room", None).await.unwrap(),
        CompactOutcome::NothingToCompact
    );

    drop(store);
    schema.drop().await;
}
