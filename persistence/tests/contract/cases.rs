//! What every backend must do. Each case gets a fresh, empty store.

use std::sync::Arc;

use bytes::Bytes;
use ycord_persistence::{DocInfo, DocStore, StoredUpdate};

use crate::updates::{replay, snapshot_of, Editor};

type Store = Arc<dyn DocStore>;

fn bytes(updates: &[Vec<u8>]) -> Vec<Bytes> {
    updates.iter().cloned().map(Bytes::from).collect()
}

fn data(stored: &[StoredUpdate]) -> Vec<&[u8]> {
    stored.iter().map(|u| u.data.as_ref()).collect()
}

fn assert_increasing(seqs: &[u64]) {
    assert!(
        seqs.windows(2).all(|pair| pair[0] < pair[1]),
        "seqs must strictly increase: {seqs:?}"
    );
}

/// Appends `updates` to `doc` one batch each, returning the seqs.
async fn append_all(store: &Store, doc: &str, updates: &[Bytes]) -> Vec<u64> {
    let mut seqs = Vec::new();
    for update in updates {
        seqs.push(store.append(doc, update.clone()).await.unwrap());
    }
    seqs
}

pub async fn appended_updates_load_back_in_order_and_byte_exact(store: Store) {
    let mut updates = bytes(&Editor::new(1).type_text(30));
    // Bytes a text update never has, and a big one.
    updates.push(Bytes::from((0..=255u8).collect::<Vec<_>>()));
    updates.push(Bytes::from(vec![0xa5; 256 * 1024]));
    updates.push(Bytes::new());

    let seqs = append_all(&store, "room", &updates).await;
    assert_increasing(&seqs);

    let stored = store.load("room").await.unwrap();
    let expected: Vec<StoredUpdate> = seqs
        .iter()
        .zip(&updates)
        .map(|(&seq, data)| StoredUpdate {
            seq,
            data: data.clone(),
        })
        .collect();
    assert_eq!(stored, expected);

    // A second round continues the same log.
    let more = append_all(&store, "room", &bytes(&Editor::new(2).type_text(3))).await;
    assert!(more[0] > *seqs.last().unwrap());
    assert_eq!(store.load("room").await.unwrap().len(), updates.len() + 3);
}

pub async fn one_batch_spans_several_documents(store: Store) {
    let docs = ["a", "b", "c"];
    let per_doc: Vec<Vec<Bytes>> = (0..3)
        .map(|i| bytes(&Editor::new(10 + i).type_text(7)))
        .collect();
    // Interleaved, as group commit gathers them from several rooms.
    let mut batch = Vec::new();
    for i in 0..7 {
        for (doc, updates) in docs.iter().zip(&per_doc) {
            batch.push((*doc, updates[i].clone()));
        }
    }
    let seqs = store.append_batch(&batch).await.unwrap();
    assert_eq!(seqs.len(), batch.len());

    for (d, doc) in docs.iter().enumerate() {
        let expected_seqs: Vec<u64> = seqs.iter().skip(d).step_by(3).copied().collect();
        assert_increasing(&expected_seqs);
        let stored = store.load(doc).await.unwrap();
        assert_eq!(
            stored.iter().map(|u| u.seq).collect::<Vec<_>>(),
            expected_seqs,
            "{doc}"
        );
        assert_eq!(
            data(&stored),
            per_doc[d].iter().map(|b| b.as_ref()).collect::<Vec<_>>(),
            "{doc}"
        );
    }
    let mut unique = seqs.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seqs.len(), "seqs are never shared");
}

pub async fn empty_batch_stores_nothing(store: Store) {
    assert_eq!(store.append_batch(&[]).await.unwrap(), Vec::<u64>::new());
    assert_eq!(store.list().await.unwrap(), []);
}

pub async fn unknown_document_loads_empty(store: Store) {
    store
        .append("known", Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();
    assert_eq!(store.load("unknown").await.unwrap(), []);
    assert_eq!(store.load("").await.unwrap(), []);
    assert_eq!(
        store.load("KNOWN").await.unwrap(),
        [],
        "names are case-sensitive"
    );
}

pub async fn concurrent_appends_all_land_with_distinct_seqs(store: Store) {
    let tasks: Vec<_> = (0..8u64)
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let doc = format!("room-{}", task % 2);
                let updates = bytes(&Editor::new(100 + task).type_text(15));
                let seqs = append_all(&store, &doc, &updates).await;
                (doc, seqs, updates)
            })
        })
        .collect();
    let mut all_seqs = Vec::new();
    for task in tasks {
        let (doc, seqs, updates) = task.await.unwrap();
        assert_increasing(&seqs);
        let stored = store.load(&doc).await.unwrap();
        for (seq, update) in seqs.iter().zip(&updates) {
            let found = stored.iter().find(|u| u.seq == *seq).expect("appended seq");
            assert_eq!(&found.data, update);
        }
        all_seqs.extend(seqs);
    }
    let count = all_seqs.len();
    all_seqs.sort_unstable();
    all_seqs.dedup();
    assert_eq!(all_seqs.len(), count);
    let listed: u64 = store.list().await.unwrap().iter().map(|d| d.updates).sum();
    assert_eq!(listed, 8 * 15);
}

pub async fn compaction_keeps_content_identical(store: Store) {
    let mut editor = Editor::new(7);
    let updates = bytes(&editor.type_text(60));
    append_all(&store, "room", &updates).await;

    let before = store.load("room").await.unwrap();
    let content = replay(data(&before));
    assert_eq!(content, editor.content());
    assert!(!content.text.is_empty());

    let up_to = before.last().unwrap().seq;
    store
        .compact("room", up_to, Bytes::from(snapshot_of(data(&before))))
        .await
        .unwrap();

    let after = store.load("room").await.unwrap();
    assert_eq!(
        after.len(),
        1,
        "one snapshot replaces everything up to {up_to}"
    );
    assert_eq!(after[0].seq, up_to);
    assert_eq!(after[0].data, Bytes::from(editor.snapshot()));
    assert_eq!(replay(data(&after)), content);
}

pub async fn updates_after_up_to_survive_compaction_in_order(store: Store) {
    let mut editor = Editor::new(8);
    let first = bytes(&editor.type_text(20));
    append_all(&store, "room", &first).await;
    let loaded = store.load("room").await.unwrap();
    let up_to = loaded[11].seq;
    let snapshot = snapshot_of(data(&loaded[..12]));

    // Written while the compaction was being prepared.
    let late = bytes(&editor.type_text(5));
    let late_seqs = append_all(&store, "room", &late).await;

    store
        .compact("room", up_to, Bytes::from(snapshot.clone()))
        .await
        .unwrap();

    let after = store.load("room").await.unwrap();
    let mut expected = vec![StoredUpdate {
        seq: up_to,
        data: Bytes::from(snapshot),
    }];
    expected.extend(loaded[12..].iter().cloned());
    expected.extend(
        late_seqs
            .iter()
            .zip(&late)
            .map(|(&seq, data)| StoredUpdate {
                seq,
                data: data.clone(),
            }),
    );
    assert_eq!(after, expected);
    assert_eq!(replay(data(&after)), editor.content());
}

pub async fn compaction_leaves_other_documents_alone(store: Store) {
    let a = bytes(&Editor::new(1).type_text(10));
    let b = bytes(&Editor::new(2).type_text(10));
    let mut batch = Vec::new();
    for (x, y) in a.iter().zip(&b) {
        batch.push(("a", x.clone()));
        batch.push(("b", y.clone()));
    }
    store.append_batch(&batch).await.unwrap();
    let b_before = store.load("b").await.unwrap();

    let a_loaded = store.load("a").await.unwrap();
    let up_to = a_loaded.last().unwrap().seq;
    store
        .compact("a", up_to, Bytes::from(snapshot_of(data(&a_loaded))))
        .await
        .unwrap();

    assert_eq!(store.load("a").await.unwrap().len(), 1);
    assert_eq!(store.load("b").await.unwrap(), b_before);
}

pub async fn compaction_never_resurrects_a_deleted_document(store: Store) {
    let updates = bytes(&Editor::new(3).type_text(5));
    append_all(&store, "room", &updates).await;
    let loaded = store.load("room").await.unwrap();
    store.delete("room").await.unwrap();

    store
        .compact(
            "room",
            loaded.last().unwrap().seq,
            Bytes::from(snapshot_of(data(&loaded))),
        )
        .await
        .unwrap();
    assert_eq!(store.load("room").await.unwrap(), []);
    assert_eq!(store.list().await.unwrap(), []);

    // Nor creates a document that never existed.
    store
        .compact("never", 1_000, Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();
    assert_eq!(store.list().await.unwrap(), []);
}

pub async fn compacting_twice_keeps_one_snapshot(store: Store) {
    let mut editor = Editor::new(4);
    append_all(&store, "room", &bytes(&editor.type_text(10))).await;
    let first = store.load("room").await.unwrap();
    store
        .compact(
            "room",
            first.last().unwrap().seq,
            Bytes::from(snapshot_of(data(&first))),
        )
        .await
        .unwrap();

    append_all(&store, "room", &bytes(&editor.type_text(10))).await;
    let second = store.load("room").await.unwrap();
    assert_eq!(second.len(), 11);
    let up_to = second.last().unwrap().seq;
    store
        .compact("room", up_to, Bytes::from(snapshot_of(data(&second))))
        .await
        .unwrap();

    let after = store.load("room").await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].seq, up_to);
    assert_eq!(replay(data(&after)), editor.content());
}

pub async fn delete_removes_only_that_document(store: Store) {
    let a = bytes(&Editor::new(1).type_text(4));
    let b = bytes(&Editor::new(2).type_text(4));
    append_all(&store, "a", &a).await;
    append_all(&store, "b", &b).await;
    let b_before = store.load("b").await.unwrap();

    store.delete("a").await.unwrap();
    assert_eq!(store.load("a").await.unwrap(), []);
    assert_eq!(store.load("b").await.unwrap(), b_before);
    let names: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["b"]);

    // Deleting what is not there is not an error.
    store.delete("a").await.unwrap();
    store.delete("never").await.unwrap();
}

pub async fn appends_after_delete_start_a_new_log(store: Store) {
    let old = append_all(&store, "room", &bytes(&Editor::new(1).type_text(3))).await;
    store.delete("room").await.unwrap();
    let fresh = bytes(&Editor::new(2).type_text(2));
    let new = append_all(&store, "room", &fresh).await;
    assert!(new[0] > *old.last().unwrap(), "seqs are never reused");
    assert_eq!(
        data(&store.load("room").await.unwrap()),
        fresh.iter().map(|b| b.as_ref()).collect::<Vec<_>>()
    );
}

pub async fn list_reports_names_counts_and_bytes_in_name_order(store: Store) {
    let docs = ["zeta", "Alpha", "alpha", "émoji-😀", "a/b c"];
    let mut expected = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let updates = bytes(&Editor::new(i as u64 + 1).type_text(i + 1));
        append_all(&store, doc, &updates).await;
        expected.push(DocInfo {
            name: doc.to_string(),
            updates: updates.len() as u64,
            bytes: updates.iter().map(|u| u.len() as u64).sum(),
        });
    }
    // Byte order of the UTF-8 names, as Rust sorts strings.
    expected.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(store.list().await.unwrap(), expected);

    // A snapshot counts as one update of its own size.
    let loaded = store.load("zeta").await.unwrap();
    let snapshot = snapshot_of(data(&loaded));
    store
        .compact(
            "zeta",
            loaded.last().unwrap().seq,
            Bytes::from(snapshot.clone()),
        )
        .await
        .unwrap();
    let zeta = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "zeta")
        .unwrap();
    assert_eq!(
        zeta,
        DocInfo {
            name: "zeta".into(),
            updates: 1,
            bytes: snapshot.len() as u64,
        }
    );
}
