//! Typed collections: field-level merging and queries that recompute only when they must.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use ycord_leptos::{use_y_collection, Query};
use yrs::{Map, Text, Transact};

use crate::common;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Todo {
    title: String,
    done: bool,
    priority: u32,
}

fn todo(title: &str, done: bool, priority: u32) -> Todo {
    Todo {
        title: title.into(),
        done,
        priority,
    }
}

#[test]
fn queries_filter_sort_limit_and_notify_only_on_relevant_changes() {
    let owner = Owner::new();
    owner.with(|| {
        let doc = ycord_provider::new_doc();
        let todos = use_y_collection::<Todo>(&doc, &doc.get_or_insert_map("todos"));
        todos.insert("a", &todo("write", false, 2)).unwrap();
        todos.insert("b", &todo("test", false, 1)).unwrap();
        todos.insert("c", &todo("ship", true, 3)).unwrap();

        let open = todos.query(
            Query::new()
                .filter(|t: &Todo| !t.done)
                .sort_by(|a, b| a.priority.cmp(&b.priority)),
        );
        let top = todos.query(
            Query::new()
                .sort_by(|a: &Todo, b| b.priority.cmp(&a.priority))
                .limit(1),
        );
        let open_runs = Arc::new(AtomicUsize::new(0));
        let open_titles = {
            let runs = open_runs.clone();
            Memo::new(move |_| {
                runs.fetch_add(1, Ordering::SeqCst);
                open.get().into_iter().map(|t| t.title).collect::<Vec<_>>()
            })
        };
        assert_eq!(open_titles.get(), ["test", "write"]);
        assert_eq!(top.get(), [todo("ship", true, 3)]);
        assert_eq!(open_runs.load(Ordering::SeqCst), 1);

        // A record outside the result that stays outside: the query's readers do not re-run.
        todos
            .update_with("c", |t| t.title = "ship it".into())
            .unwrap();
        assert_eq!(open_titles.get(), ["test", "write"]);
        assert_eq!(open_runs.load(Ordering::SeqCst), 1);
        assert_eq!(top.get()[0].title, "ship it");

        // Changes elsewhere in the document: nothing re-runs.
        doc.get_or_insert_text("unrelated")
            .insert(&mut doc.transact_mut(), 0, "x");
        doc.get_or_insert_map("other")
            .insert(&mut doc.transact_mut(), "k", 1);
        assert_eq!(open_titles.get(), ["test", "write"]);
        assert_eq!(open_runs.load(Ordering::SeqCst), 1);

        // A matching record changes order.
        todos.update_with("a", |t| t.priority = 0).unwrap();
        assert_eq!(open_titles.get(), ["write", "test"]);
        assert_eq!(open_runs.load(Ordering::SeqCst), 2);

        // A record starts matching, one leaves, one is removed.
        todos.update_with("c", |t| t.done = false).unwrap();
        assert_eq!(open_titles.get(), ["write", "test", "ship it"]);
        todos.update_with("b", |t| t.done = true).unwrap();
        assert_eq!(open_titles.get(), ["write", "ship it"]);
        todos.remove("a");
        assert_eq!(open_titles.get(), ["ship it"]);
        let id = todos.create(&todo("new", false, 9)).unwrap();
        assert_eq!(open_titles.get(), ["ship it", "new"]);
        assert_eq!(todos.get(&id).unwrap().title, "new");
        assert_eq!(open_runs.load(Ordering::SeqCst), 6);
    });
}

#[test]
fn a_record_signal_depends_on_that_record_only() {
    let owner = Owner::new();
    owner.with(|| {
        let doc = ycord_provider::new_doc();
        let todos = use_y_collection::<Todo>(&doc, &doc.get_or_insert_map("todos"));
        todos.insert("a", &todo("a", false, 1)).unwrap();
        todos.insert("b", &todo("b", false, 1)).unwrap();
        let runs = Arc::new(AtomicUsize::new(0));
        let a = {
            let runs = runs.clone();
            let todos = todos.clone();
            Memo::new(move |_| {
                runs.fetch_add(1, Ordering::SeqCst);
                todos.get("a")
            })
        };
        assert_eq!(a.get().unwrap().title, "a");
        todos.update_with("b", |t| t.done = true).unwrap();
        todos.insert("c", &todo("c", false, 1)).unwrap();
        a.get();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        todos.update_with("a", |t| t.done = true).unwrap();
        assert!(a.get().unwrap().done);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn concurrent_edits_to_different_fields_of_one_record_both_survive() {
    let owner = Owner::new();
    owner.with(|| {
        let alice = ycord_provider::new_doc();
        let bob = ycord_provider::new_doc();
        let a = use_y_collection::<Todo>(&alice, &alice.get_or_insert_map("todos"));
        let b = use_y_collection::<Todo>(&bob, &bob.get_or_insert_map("todos"));
        a.insert("t", &todo("draft", false, 1)).unwrap();
        common::sync_both(&alice, &bob);

        let a_view = a.signal("t");
        let b_view = b.signal("t");
        // Offline at the same time: Alice renames, Bob completes.
        a.update_with("t", |t| t.title = "final".into()).unwrap();
        b.update_with("t", |t| t.done = true).unwrap();
        common::sync_both(&alice, &bob);

        let expected = todo("final", true, 1);
        assert_eq!(a_view.get(), Some(expected.clone()));
        assert_eq!(b_view.get(), Some(expected));
    });
}
