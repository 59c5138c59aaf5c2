//! The delta a hook reports for its own edit is the delta a replica receiving that edit sees.

use leptos::prelude::*;
use ycord_leptos::{use_y_text, TextDelta};

use crate::common;

#[test]
fn local_edit_deltas_match_what_replicas_see() {
    let owner = Owner::new();
    owner.with(|| {
        let a = ycord_provider::new_doc();
        let b = ycord_provider::new_doc();
        let ta = use_y_text(&a, &a.get_or_insert_text("t"));
        let tb = use_y_text(&b, &b.get_or_insert_text("t"));
        let edits: [(u32, u32, &str); 6] = [
            (0, 0, "hello world"),
            (5, 0, ","),
            (0, 1, "H"),
            (7, 5, "😀 there"),
            (0, 3, ""),
            (99, 0, "!"),
        ];
        for (index, count, chunk) in edits {
            (ta.replace)(index, count, chunk);
            common::sync(&a, &b);
            assert_eq!(
                ta.delta.get(),
                tb.delta.get(),
                "edit {index},{count},{chunk:?}"
            );
            assert_eq!(ta.text.get(), tb.text.get());
        }
        assert_eq!(ta.text.get(), "lo, 😀 there!");
        assert_eq!(
            *ta.delta.get(),
            [TextDelta::Retain(12), TextDelta::Insert("!".into())]
        );
    });
}
