//! Per-key tracking: a change to one key re-runs exactly the readers of that key.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use leptos::prelude::*;
use ycord_leptos::{use_y_map, YMap};
use yrs::{Map, Transact};

use crate::common;

fn counted_reader(map: &YMap, key: &'static str) -> (Memo<Option<String>>, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let map = map.clone();
    let memo = Memo::new(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        map.get::<String>(key)
    });
    (memo, runs)
}

#[test]
fn one_key_change_reruns_exactly_its_readers() {
    let owner = Owner::new();
    owner.with(|| {
        let doc = ycord_provider::new_doc();
        let bound = use_y_map(&doc, &doc.get_or_insert_map("meta"));
        bound.map.set("title", "Draft").unwrap();
        bound.map.set("body", "…").unwrap();
        for i in 0..100 {
            bound.map.set(&format!("other-{i}"), i).unwrap();
        }

        let (title_a, title_a_runs) = counted_reader(&bound.map, "title");
        let (title_b, title_b_runs) = counted_reader(&bound.map, "title");
        let (body, body_runs) = counted_reader(&bound.map, "body");
        let read_all = || (title_a.get(), title_b.get(), body.get());
        read_all();
        let runs = || {
            (
                title_a_runs.load(Ordering::SeqCst),
                title_b_runs.load(Ordering::SeqCst),
                body_runs.load(Ordering::SeqCst),
            )
        };
        assert_eq!(runs(), (1, 1, 1));

        bound.map.set("title", "Final").unwrap();
        assert_eq!(read_all().0.as_deref(), Some("Final"));
        assert_eq!(runs(), (2, 2, 1), "only the two title readers re-run");

        bound.map.set("body", "text").unwrap();
        assert_eq!(read_all().2.as_deref(), Some("text"));
        assert_eq!(runs(), (2, 2, 2), "only the body reader re-runs");

        for i in 0..100 {
            bound.map.set(&format!("other-{i}"), i + 1).unwrap();
        }
        bound.map.set("new-key", 1).unwrap();
        bound.map.remove("other-3");
        read_all();
        assert_eq!(runs(), (2, 2, 2), "other keys re-run nobody");

        // A change arriving from another replica is tracked the same way.
        let remote = ycord_provider::new_doc();
        common::sync(&doc, &remote);
        remote
            .get_or_insert_map("meta")
            .insert(&mut remote.transact_mut(), "title", "Remote");
        common::sync(&remote, &doc);
        assert_eq!(read_all().0.as_deref(), Some("Remote"));
        assert_eq!(runs(), (3, 3, 2));

        // Removing a key notifies its readers.
        bound.map.remove("title");
        assert_eq!(read_all().0, None);
        assert_eq!(runs(), (4, 4, 2));
    });
}

#[test]
fn keys_and_len_follow_membership_not_values() {
    let owner = Owner::new();
    owner.with(|| {
        let doc = ycord_provider::new_doc();
        let bound = use_y_map(&doc, &doc.get_or_insert_map("m"));
        let runs = Arc::new(AtomicUsize::new(0));
        let keys = {
            let runs = runs.clone();
            let keys = bound.keys;
            Memo::new(move |_| {
                runs.fetch_add(1, Ordering::SeqCst);
                keys.get()
            })
        };
        assert!(keys.get().is_empty());
        (bound.set)("a", serde_json::json!(1));
        (bound.set)("b", serde_json::json!({"nested": [1, 2]}));
        assert_eq!(keys.get(), vec!["a".to_string(), "b".to_string()]);
        assert_eq!(bound.len.get(), 2);
        let before = runs.load(Ordering::SeqCst);
        (bound.set)("a", serde_json::json!(2));
        keys.get();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            before,
            "value updates leave keys alone"
        );
        assert_eq!(
            bound.entries.get(),
            vec![
                ("a".to_string(), serde_json::json!(2)),
                ("b".to_string(), serde_json::json!({"nested": [1, 2]})),
            ]
        );
        (bound.remove)("a");
        assert_eq!(keys.get(), vec!["b".to_string()]);
        assert_eq!(bound.len.get(), 1);
    });
}
