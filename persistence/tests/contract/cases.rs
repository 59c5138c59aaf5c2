//! What every backend must do. Each case gets a fresh, empty store.

use std::ops::RangeInclusive;
use std::sync::Arc;

use bytes::Bytes;
use ycord_persistence::{DocInfo, DocStore, QuarantinedUpdate, StoredUpdate};

use crate::clock::now_ms;
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

/// Quarantines `updates` of `doc`, returning the time window the call ran in.
async fn quarantine(store: &Store, doc: &str, updates: &[(u64, &str)]) -> RangeInclusive<u64> {
    let updates: Vec<(u64, String)> = updates
        .iter()
        .map(|(seq, reason)| (*seq, (*reason).to_owned()))
        .collect();
    let started = now_ms();
    store.quarantine(doc, &updates).await.unwrap();
    started..=now_ms()
}

/// Checks that `quarantined` holds exactly `expected` (seq, bytes, reason), in that order,
/// each moved within `window`.
pub(crate) fn assert_quarantined(
    quarantined: &[QuarantinedUpdate],
    expected: &[(u64, &Bytes, &str)],
    window: &RangeInclusive<u64>,
) {
    let found: Vec<(u64, &Bytes, &str)> = quarantined
        .iter()
        .map(|q| (q.seq, &q.data, q.reason.as_str()))
        .collect();
    assert_eq!(found, expected);
    for q in quarantined {
        assert!(
            window.contains(&q.quarantined_at_ms),
            "seq {} quarantined at {} ms, outside the call's window {window:?}",
            q.seq,
            q.quarantined_at_ms
        );
    }
}

/// Appends `updates` to `doc` one batch each, returning the seqs.
/// The names `list` reports, in its order.
async fn listed_names(store: &Store) -> Vec<String> {
    store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect()
}

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
    assert_eq!(listed_names(&store).await, ["b"]);

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

pub async fn quarantined_updates_leave_the_log_and_keep_their_bytes_and_reason(store: Store) {
    let mut updates = bytes(&Editor::new(1).type_text(4));
    // Bytes no decoder accepts, and an empty update: stored and quarantined as they are.
    updates.insert(1, Bytes::from((0..=255u8).rev().collect::<Vec<_>>()));
    updates.insert(3, Bytes::new());
    let seqs = append_all(&store, "room", &updates).await;
    let other = append_all(&store, "other", &bytes(&Editor::new(2).type_text(2))).await;
    let other_before = store.load("other").await.unwrap();

    // Listed out of order: the quarantine is by seq whatever the order of the call.
    let window = quarantine(
        &store,
        "room",
        &[
            (seqs[3], "empty update"),
            (seqs[1], "unexpected end of buffer at byte 255 — ñ 😀"),
        ],
    )
    .await;

    let kept = store.load("room").await.unwrap();
    assert_eq!(
        kept.iter().map(|u| u.seq).collect::<Vec<_>>(),
        [seqs[0], seqs[2], seqs[4], seqs[5]]
    );
    assert_eq!(
        data(&kept),
        [&updates[0], &updates[2], &updates[4], &updates[5]].map(|b| b.as_ref())
    );
    assert_quarantined(
        &store.quarantined("room").await.unwrap(),
        &[
            (
                seqs[1],
                &updates[1],
                "unexpected end of buffer at byte 255 — ñ 😀",
            ),
            (seqs[3], &updates[3], "empty update"),
        ],
        &window,
    );

    // The listing counts the log only.
    let room = &store.list().await.unwrap()[1];
    assert_eq!(
        *room,
        DocInfo {
            name: "room".into(),
            updates: 4,
            bytes: [0, 2, 4, 5].iter().map(|&i| updates[i].len() as u64).sum(),
        }
    );

    // Other documents are untouched, and have no quarantine.
    assert_eq!(store.load("other").await.unwrap(), other_before);
    assert_eq!(store.quarantined("other").await.unwrap(), []);
    assert_eq!(store.quarantined("never").await.unwrap(), []);

    // A document whose whole log is quarantined is no longer listed, but its quarantine stays.
    let window = quarantine(&store, "other", &[(other[0], "a"), (other[1], "b")]).await;
    assert_eq!(store.load("other").await.unwrap(), []);
    assert_eq!(listed_names(&store).await, ["room"]);
    assert_quarantined(
        &store.quarantined("other").await.unwrap(),
        &[
            (other[0], &other_before[0].data, "a"),
            (other[1], &other_before[1].data, "b"),
        ],
        &window,
    );

    // Appends after a quarantine continue the log with new seqs.
    let next = store
        .append("room", Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();
    assert!(next > *other.last().unwrap());
    assert_eq!(store.load("room").await.unwrap().last().unwrap().seq, next);
    assert_eq!(store.quarantined("room").await.unwrap().len(), 2);
}

pub async fn quarantine_skips_updates_no_longer_in_the_log(store: Store) {
    let mut editor = Editor::new(3);
    let updates = bytes(&editor.type_text(6));
    let seqs = append_all(&store, "room", &updates).await;
    let elsewhere = store
        .append("elsewhere", Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();

    let first = quarantine(&store, "room", &[(seqs[5], "first")]).await;
    let loaded = store.load("room").await.unwrap();
    // Compacts seqs[0..=2] into one snapshot under seqs[2].
    store
        .compact(
            "room",
            seqs[2],
            Bytes::from(snapshot_of(data(&loaded[..3]))),
        )
        .await
        .unwrap();
    let log_before = store.load("room").await.unwrap();
    assert_eq!(
        log_before.iter().map(|u| u.seq).collect::<Vec<_>>(),
        [seqs[2], seqs[3], seqs[4]]
    );

    let second = quarantine(
        &store,
        "room",
        &[
            (seqs[0], "compacted away"),
            (seqs[5], "already quarantined"),
            (elsewhere, "another document's update"),
            (elsewhere + 1_000, "never stored"),
            (u64::MAX, "beyond every seq"),
            (seqs[4], "still in the log"),
            (seqs[4], "still in the log"),
        ],
    )
    .await;

    let log_after = store.load("room").await.unwrap();
    assert_eq!(log_after, log_before[..2]);
    let quarantined = store.quarantined("room").await.unwrap();
    assert_eq!(
        quarantined.iter().map(|q| q.seq).collect::<Vec<_>>(),
        [seqs[4], seqs[5]]
    );
    assert_quarantined(
        &quarantined[..1],
        &[(seqs[4], &updates[4], "still in the log")],
        &second,
    );
    // Already quarantined: its reason and time are those of the first move.
    assert_quarantined(
        &quarantined[1..],
        &[(seqs[5], &updates[5], "first")],
        &first,
    );
    assert_eq!(store.load("elsewhere").await.unwrap().len(), 1);
    assert_eq!(store.quarantined("elsewhere").await.unwrap(), []);

    // Nothing to move is not an error, nor is a document that does not exist.
    quarantine(&store, "room", &[]).await;
    quarantine(&store, "never", &[(seqs[3], "unknown document")]).await;
    assert_eq!(store.load("room").await.unwrap(), log_after);
    assert_eq!(store.quarantined("never").await.unwrap(), []);
    assert_eq!(listed_names(&store).await, ["elsewhere", "room"]);
}

pub async fn deleting_a_document_deletes_its_quarantine(store: Store) {
    let a = append_all(&store, "a", &bytes(&Editor::new(1).type_text(3))).await;
    let b_updates = bytes(&Editor::new(2).type_text(3));
    let b = append_all(&store, "b", &b_updates).await;
    quarantine(&store, "a", &[(a[0], "bad"), (a[2], "bad")]).await;
    let window = quarantine(&store, "b", &[(b[1], "bad too")]).await;

    store.delete("a").await.unwrap();
    assert_eq!(store.load("a").await.unwrap(), []);
    assert_eq!(store.quarantined("a").await.unwrap(), []);
    assert!(!store.delete_quarantined("a", a[0]).await.unwrap());
    assert_quarantined(
        &store.quarantined("b").await.unwrap(),
        &[(b[1], &b_updates[1], "bad too")],
        &window,
    );
    assert_eq!(store.load("b").await.unwrap().len(), 2);

    // A document that only has a quarantine is deleted too.
    quarantine(&store, "b", &[(b[0], "x"), (b[2], "y")]).await;
    assert_eq!(store.load("b").await.unwrap(), []);
    store.delete("b").await.unwrap();
    assert_eq!(store.quarantined("b").await.unwrap(), []);

    // A new log under the old name starts without a quarantine.
    store
        .append("a", Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();
    assert_eq!(store.quarantined("a").await.unwrap(), []);
    assert_eq!(store.load("a").await.unwrap().len(), 1);
}

pub async fn compaction_leaves_the_quarantine_alone(store: Store) {
    let mut editor = Editor::new(5);
    let updates = bytes(&editor.type_text(10));
    let seqs = append_all(&store, "room", &updates).await;
    // One inside the range the compaction replaces, one at its end, one after it.
    let window = quarantine(
        &store,
        "room",
        &[
            (seqs[2], "inside"),
            (seqs[6], "at up_to"),
            (seqs[8], "after"),
        ],
    )
    .await;
    let quarantined = store.quarantined("room").await.unwrap();
    assert_quarantined(
        &quarantined,
        &[
            (seqs[2], &updates[2], "inside"),
            (seqs[6], &updates[6], "at up_to"),
            (seqs[8], &updates[8], "after"),
        ],
        &window,
    );

    let loaded = store.load("room").await.unwrap();
    let replaced: Vec<&StoredUpdate> = loaded.iter().filter(|u| u.seq <= seqs[6]).collect();
    let snapshot = snapshot_of(replaced.iter().map(|u| u.data.as_ref()));
    store
        .compact("room", seqs[6], Bytes::from(snapshot.clone()))
        .await
        .unwrap();

    let after = store.load("room").await.unwrap();
    assert_eq!(
        after.iter().map(|u| u.seq).collect::<Vec<_>>(),
        // The snapshot takes the seq of the last update it replaced (seqs[5]; seqs[6] is
        // quarantined), so it never collides with a quarantined seq.
        [seqs[5], seqs[7], seqs[9]]
    );
    assert_eq!(after[0].data, Bytes::from(snapshot));
    assert_eq!(store.quarantined("room").await.unwrap(), quarantined);

    // Compacting everything still leaves it alone.
    store
        .compact("room", u64::MAX, Bytes::from(snapshot_of(data(&after))))
        .await
        .unwrap();
    assert_eq!(store.load("room").await.unwrap().len(), 1);
    assert_eq!(store.quarantined("room").await.unwrap(), quarantined);
}

pub async fn delete_quarantined_removes_one_update(store: Store) {
    let updates = bytes(&Editor::new(6).type_text(5));
    let seqs = append_all(&store, "room", &updates).await;
    let other = store
        .append("other", Bytes::from_static(b"\x00\x00"))
        .await
        .unwrap();
    let window = quarantine(
        &store,
        "room",
        &[(seqs[0], "one"), (seqs[2], "two"), (seqs[4], "three")],
    )
    .await;
    quarantine(&store, "other", &[(other, "other")]).await;
    let log = store.load("room").await.unwrap();

    assert!(store.delete_quarantined("room", seqs[2]).await.unwrap());
    assert_quarantined(
        &store.quarantined("room").await.unwrap(),
        &[
            (seqs[0], &updates[0], "one"),
            (seqs[4], &updates[4], "three"),
        ],
        &window,
    );
    assert_eq!(
        store.load("room").await.unwrap(),
        log,
        "the log is untouched"
    );

    // Deleting what is not (or no longer) there says so and changes nothing.
    assert!(!store.delete_quarantined("room", seqs[2]).await.unwrap());
    assert!(!store.delete_quarantined("room", seqs[1]).await.unwrap());
    assert!(!store.delete_quarantined("room", other).await.unwrap());
    assert!(!store.delete_quarantined("room", u64::MAX).await.unwrap());
    assert!(!store.delete_quarantined("never", seqs[0]).await.unwrap());
    assert_eq!(store.quarantined("room").await.unwrap().len(), 2);
    assert_eq!(store.quarantined("other").await.unwrap().len(), 1);
    assert_eq!(store.load("room").await.unwrap(), log);

    assert!(store.delete_quarantined("room", seqs[0]).await.unwrap());
    assert!(store.delete_quarantined("room", seqs[4]).await.unwrap());
    assert_eq!(store.quarantined("room").await.unwrap(), []);
    assert_eq!(store.quarantined("other").await.unwrap().len(), 1);
}
