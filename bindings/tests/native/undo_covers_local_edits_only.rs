//! Undo/redo: local edits only, with `can_undo` / `can_redo` as signals.

use leptos::prelude::*;
use ycord_leptos::{use_undo, use_y_text};
use yrs::{GetString, Text, Transact};

use crate::common;

#[test]
fn undo_reverts_local_edits_and_keeps_remote_ones() {
    let owner = Owner::new();
    owner.with(|| {
        let doc = ycord_provider::new_doc();
        let remote = ycord_provider::new_doc();
        let text_ref = doc.get_or_insert_text("t");
        let text = use_y_text(&doc, &text_ref);
        let history = use_undo(&doc, &[&text_ref]);
        assert!(!history.can_undo.get());
        assert!(!history.can_redo.get());

        (text.insert)(0, "local");
        assert!(history.can_undo.get());
        common::sync(&doc, &remote);
        let r = remote.get_or_insert_text("t");
        r.insert(&mut remote.transact_mut(), 5, " remote");
        common::sync(&remote, &doc);
        assert_eq!(text.text.get(), "local remote");

        assert!((history.undo)());
        assert_eq!(text.text.get(), " remote", "the remote edit stays");
        assert!(!history.can_undo.get());
        assert!(history.can_redo.get());
        assert!((history.redo)());
        assert_eq!(text_ref.get_string(&doc.transact()), "local remote");

        // Steps: stop_capturing separates two quick edits.
        (history.stop_capturing)();
        (text.insert)(0, "A");
        (history.stop_capturing)();
        (text.insert)(0, "B");
        assert!((history.undo)());
        assert_eq!(text.text.get(), "Alocal remote");
    });
}
