//! Several native providers edit one room concurrently through the real server, some of them
//! dropping off and coming back, and every replica ends up identical; a late joiner gets it all
//! with its first sync.

use crate::common::{provider, snapshot, start_server, synced, unique_room, until, update_counter};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use yrs::{Any, Array, Map, Text, Transact, WriteTxn};

/// One random edit, one transaction.
fn random_edit(doc: &yrs::Doc, rng: &mut StdRng) {
    let mut txn = doc.transact_mut();
    match rng.random_range(0..3) {
        0 => {
            let text = txn.get_or_insert_text("text");
            let len = text.len(&txn);
            if len > 0 && rng.random_bool(0.3) {
                let at = rng.random_range(0..len);
                let n = rng.random_range(1..=(len - at).min(3));
                text.remove_range(&mut txn, at, n);
            } else {
                let at = rng.random_range(0..=len);
                text.insert(&mut txn, at, ["a", "bé", "xyz"][rng.random_range(0..3)]);
            }
        }
        1 => {
            let map = txn.get_or_insert_map("map");
            let key = format!("k{}", rng.random_range(0..8));
            if rng.random_bool(0.2) {
                map.remove(&mut txn, &key);
            } else {
                map.insert(&mut txn, key, f64::from(rng.random_range(0..1000)));
            }
        }
        _ => {
            let array = txn.get_or_insert_array("array");
            let len = array.len(&txn);
            if len > 0 && rng.random_bool(0.3) {
                array.remove(&mut txn, rng.random_range(0..len));
            } else {
                let value = Any::from(f64::from(rng.random_range(0..1000)));
                array.insert(&mut txn, rng.random_range(0..=len), value);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_with_disconnects_converge_and_a_late_joiner_gets_everything() {
    let server = start_server().await;
    let url = server.ws_url();
    let room = unique_room("converge");
    let peers: Vec<_> = (0..5).map(|_| provider(&url, &room)).collect();
    let mut updates: Vec<_> = peers
        .iter()
        .map(|p| update_counter(p.doc(), "test-updates"))
        .collect();
    for peer in &peers {
        synced(peer).await;
    }

    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut online = vec![true; peers.len()];
    // Edits read the document's current lengths, which depend on what arrived meanwhile, so
    // the seed does not fix who goes offline when: count it.
    let mut disconnects = 0;
    for _round in 0..40 {
        for (i, peer) in peers.iter().enumerate() {
            for _ in 0..rng.random_range(1..4) {
                random_edit(peer.doc(), &mut rng);
            }
            if rng.random_bool(0.08) {
                if online[i] {
                    peer.disconnect().await;
                    disconnects += 1;
                } else {
                    peer.connect();
                }
                online[i] = !online[i];
            }
        }
        // Let the relay interleave with the next round's edits.
        tokio::task::yield_now().await;
    }
    assert!(disconnects > 0, "no peer went offline; pick another seed");

    for peer in &peers {
        peer.connect();
    }
    for peer in &peers {
        synced(peer).await;
    }
    until("all replicas are identical", &mut updates, || {
        let first = snapshot(peers[0].doc());
        peers.iter().all(|p| snapshot(p.doc()) == first)
    })
    .await;
    let converged = snapshot(peers[0].doc());
    assert_ne!(converged["text"], "", "the edits did happen");

    let late = provider(&url, &room);
    synced(&late).await;
    assert_eq!(
        snapshot(late.doc()),
        converged,
        "a late joiner has the whole document at its synced event"
    );
    drop(peers);
    drop(late);
    server.shutdown().await;
}
