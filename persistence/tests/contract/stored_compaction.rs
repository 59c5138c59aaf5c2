//! [`DocStore::compact_stored`]: compaction from the stored rows, safe with several writers.
//! Each case gets a fresh store and a second store on the same data (`other`), as another
//! server sharing the database would have.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use ycord_persistence::{CompactOutcome, DocStore, StoredUpdate};

use crate::updates::{replay, Editor};

type Store = Arc<dyn DocStore>;

fn bytes(updates: &[Vec<u8>]) -> Vec<Bytes> {
    updates.iter().cloned().map(Bytes::from).collect()
}

fn data(stored: &[StoredUpdate]) -> Vec<&[u8]> {
    stored.iter().map(|u| u.data.as_ref()).collect()
}

async fn append_all(store: &Store, doc: &str, updates: &[Bytes]) -> Vec<u64> {
    let mut seqs = Vec::new();
    for update in updates {
        seqs.push(store.append(doc, update.clone()).await.unwrap());
    }
    seqs
}

/// The snapshot's seq and size from a compaction that must have replaced `replaced` rows.
fn compacted(outcome: CompactOutcome, replaced: &[StoredUpdate]) -> (u64, u64) {
    let CompactOutcome::Compacted {
        seq,
        replaced_updates,
        replaced_bytes,
        snapshot_bytes,
    } = outcome
    else {
        panic!(
            "expected a compaction of {} rows, got {outcome:?}",
            replaced.len()
        );
    };
    assert_eq!(seq, replaced.last().unwrap().seq, "the last replaced seq");
    assert_eq!(replaced_updates, replaced.len() as u64);
    assert_eq!(
        replaced_bytes,
        replaced.iter().map(|u| u.data.len() as u64).sum::<u64>()
    );
    (seq, snapshot_bytes)
}

pub async fn stored_compaction_keeps_every_update(store: Store, _other: Store) {
    let mut editor = Editor::new(7);
    let mut updates = bytes(&editor.type_text(40));
    // Another client's edits without its first one: the rest wait for it in yrs (structs with
    // a missing origin, deletions of items not seen yet) and must survive compaction too.
    let withheld = bytes(&Editor::new(9).type_text(10));
    updates.extend(withheld[1..].iter().cloned());
    let seqs = append_all(&store, "room", &updates).await;
    let before = store.load("room").await.unwrap();
    let content = replay(data(&before));
    assert!(!content.text.is_empty());

    // A prefix: the rows after it stay as they were.
    let outcome = store.compact_stored("room", Some(seqs[19])).await.unwrap();
    let (seq, snapshot_bytes) = compacted(outcome, &before[..20]);
    let after = store.load("room").await.unwrap();
    assert_eq!(after[0].seq, seq);
    assert_eq!(after[0].data.len() as u64, snapshot_bytes);
    assert_eq!(after[1..], before[20..]);
    assert_eq!(replay(data(&after)), content);

    // Everything, the earlier snapshot included.
    let outcome = store.compact_stored("room", None).await.unwrap();
    compacted(outcome, &after);
    let after = store.load("room").await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].seq, *seqs.last().unwrap());
    assert_eq!(replay(data(&after)), content);

    // The withheld edit completes the waiting ones: nothing of them was lost.
    store.append("room", withheld[0].clone()).await.unwrap();
    let all = updates.iter().chain(&withheld[..1]).map(|u| u.as_ref());
    let complete = replay(all);
    assert_eq!(replay(data(&store.load("room").await.unwrap())), complete);
    assert!(complete.text.len() > content.text.len());

    // A single row is as compact as it gets.
    let lone = store.append("lone", updates[0].clone()).await.unwrap();
    assert_eq!(
        store.compact_stored("lone", None).await.unwrap(),
        CompactOutcome::NothingToCompact
    );
    let stored = store.load("lone").await.unwrap();
    assert_eq!(
        stored,
        [StoredUpdate {
            seq: lone,
            data: updates[0].clone()
        }]
    );
}

/// Rounds of two compactions (one per store) racing two appenders (one per store).
const ROUNDS: u64 = 6;

pub async fn concurrent_stored_compactions_lose_no_concurrent_append(store: Store, other: Store) {
    let mut compactions = 0;
    for round in 0..ROUNDS {
        let doc = format!("room-{round}");
        let mut first = Editor::new(100 + round);
        let mut second = Editor::new(200 + round);
        let seed = bytes(&first.type_text(10));
        append_all(&store, &doc, &seed).await;
        let appended = [bytes(&first.type_text(40)), bytes(&second.type_text(40))];

        let appending = Arc::new(AtomicBool::new(true));
        let appenders: Vec<_> = [&store, &other]
            .into_iter()
            .zip(appended.clone())
            .map(|(store, updates)| {
                let (store, doc) = (Arc::clone(store), doc.clone());
                tokio::spawn(async move {
                    for update in updates {
                        store.append(&doc, update).await.unwrap();
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        let compactors: Vec<_> = [&store, &other]
            .into_iter()
            .map(|store| {
                let (store, doc, appending) =
                    (Arc::clone(store), doc.clone(), Arc::clone(&appending));
                tokio::spawn(async move {
                    let mut compacted = 0;
                    loop {
                        // Read before compacting: the last round sees every append.
                        let last_round = !appending.load(Ordering::Acquire);
                        match store.compact_stored(&doc, None).await.unwrap() {
                            CompactOutcome::Compacted { .. } => compacted += 1,
                            CompactOutcome::NothingToCompact
                            | CompactOutcome::LockedByAnotherStore => {}
                            unreadable => panic!("every row is readable: {unreadable:?}"),
                        }
                        if last_round {
                            return compacted;
                        }
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for appender in appenders {
            appender.await.unwrap();
        }
        appending.store(false, Ordering::Release);
        for compactor in compactors {
            compactions += compactor.await.unwrap();
        }

        // Every append is there, in a document equal to one that applied them all.
        let stored = store.load(&doc).await.unwrap();
        let all = seed.iter().chain(appended.iter().flatten());
        assert_eq!(
            replay(data(&stored)),
            replay(all.map(|u| u.as_ref())),
            "{doc}"
        );
        assert_eq!(
            stored.len(),
            1,
            "{doc}: the last compactions ran after the last append"
        );
    }
    assert!(
        compactions >= ROUNDS,
        "only {compactions} compactions in {ROUNDS} rounds"
    );
}

pub async fn an_unreadable_update_keeps_its_range_uncompacted(store: Store, _other: Store) {
    let mut editor = Editor::new(11);
    let mut updates = bytes(&editor.type_text(10));
    // Bytes no decoder accepts, as a damaged or pre-validation row would be.
    let damaged = Bytes::from((0..=255u8).rev().collect::<Vec<_>>());
    updates.insert(4, damaged.clone());
    let seqs = append_all(&store, "room", &updates).await;
    let before = store.load("room").await.unwrap();

    let outcome = store.compact_stored("room", None).await.unwrap();
    let CompactOutcome::Unreadable(unreadable) = &outcome else {
        panic!("expected the damaged row to be reported, got {outcome:?}");
    };
    assert_eq!(
        unreadable.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        [seqs[4]]
    );
    assert!(!unreadable[0].1.is_empty(), "the reason is given");
    assert_eq!(store.load("room").await.unwrap(), before, "nothing changed");
    assert_eq!(
        store.quarantined("room").await.unwrap(),
        [],
        "quarantine is the load path's job"
    );

    // The rows before it compact; it stays, under its own seq.
    let outcome = store.compact_stored("room", Some(seqs[3])).await.unwrap();
    compacted(outcome, &before[..4]);
    let after = store.load("room").await.unwrap();
    assert_eq!(after[1..], before[4..]);
    assert_eq!(
        after[1],
        StoredUpdate {
            seq: seqs[4],
            data: damaged
        }
    );
    assert!(matches!(
        store.compact_stored("room", Some(seqs[6])).await.unwrap(),
        CompactOutcome::Unreadable(_)
    ));
    assert_eq!(store.load("room").await.unwrap(), after);

    // Once the load path has quarantined it, the rest compacts.
    store
        .quarantine("room", &[(seqs[4], unreadable[0].1.clone())])
        .await
        .unwrap();
    let kept = store.load("room").await.unwrap();
    let outcome = store.compact_stored("room", None).await.unwrap();
    compacted(outcome, &kept);
    let after = store.load("room").await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(replay(data(&after)), editor.content());
}

/// Rounds of a compaction on one store racing a deletion on the other.
const DELETION_ROUNDS: usize = 8;

pub async fn stored_compaction_never_resurrects_a_deleted_document(store: Store, other: Store) {
    let updates = bytes(&Editor::new(3).type_text(5));
    append_all(&store, "room", &updates).await;
    store.delete("room").await.unwrap();
    assert_eq!(
        store.compact_stored("room", None).await.unwrap(),
        CompactOutcome::NothingToCompact
    );
    assert_eq!(store.load("room").await.unwrap(), []);

    // Nor creates a document that never existed.
    for up_to in [None, Some(1_000), Some(u64::MAX)] {
        assert_eq!(
            store.compact_stored("never", up_to).await.unwrap(),
            CompactOutcome::NothingToCompact
        );
    }
    assert_eq!(store.list().await.unwrap(), []);

    // A deletion racing a compaction: whichever commits first, the document is gone after.
    for round in 0..DELETION_ROUNDS {
        let doc = format!("raced-{round}");
        let updates = bytes(&Editor::new(300 + round as u64).type_text(40));
        let batch: Vec<(&str, Bytes)> = updates.iter().map(|u| (doc.as_str(), u.clone())).collect();
        store.append_batch(&batch).await.unwrap();

        let compaction = tokio::spawn({
            let (other, doc) = (Arc::clone(&other), doc.clone());
            async move { other.compact_stored(&doc, None).await }
        });
        if round % 2 == 1 {
            // Give the compaction a head start on odd rounds, so both orders happen.
            tokio::task::yield_now().await;
        }
        store.delete(&doc).await.unwrap();
        match compaction.await.unwrap().unwrap() {
            CompactOutcome::Compacted { .. }
            | CompactOutcome::NothingToCompact
            | CompactOutcome::LockedByAnotherStore => {}
            unreadable => panic!("every row is readable: {unreadable:?}"),
        }
        assert_eq!(store.load(&doc).await.unwrap(), [], "{doc} came back");
        assert_eq!(other.load(&doc).await.unwrap(), [], "{doc} came back");
    }
    assert_eq!(store.list().await.unwrap(), []);
}
