//! Array items carry ids that survive edits around them, so a keyed list re-renders one row.

use leptos::prelude::*;
use ycord_leptos::use_y_array;
use yrs::{Any, Array, Transact};

use crate::common;

#[test]
fn inserting_or_removing_one_item_keeps_every_other_id() {
    let owner = Owner::new();
    owner.with(|| {
        let doc = ycord_provider::new_doc();
        let list = use_y_array(&doc, &doc.get_or_insert_array("list"));
        for word in ["a", "b", "c", "d"] {
            (list.push)(Any::from(word).into());
        }
        let before = list.items.get();
        let ids: Vec<u64> = before.iter().map(|i| i.id).collect();
        assert_eq!(
            ids.iter().collect::<std::collections::HashSet<_>>().len(),
            4
        );

        (list.insert)(2, Any::from("x").into());
        let after = list.items.get();
        let words: Vec<String> = after.iter().filter_map(|i| i.get()).collect();
        assert_eq!(words, ["a", "b", "x", "c", "d"]);
        let after_ids: Vec<u64> = after.iter().map(|i| i.id).collect();
        assert_eq!(&after_ids[..2], &ids[..2]);
        assert_eq!(&after_ids[3..], &ids[2..]);
        assert!(!ids.contains(&after_ids[2]), "the new item has a new id");

        (list.remove)(0, 1);
        let ids_after_remove: Vec<u64> = list.items.get().iter().map(|i| i.id).collect();
        assert_eq!(ids_after_remove, after_ids[1..]);
        assert_eq!(list.len.get(), 4);

        // A remote insert at the front keeps the existing ids as well.
        let remote = ycord_provider::new_doc();
        common::sync(&doc, &remote);
        remote.get_or_insert_array("list").insert(
            &mut remote.transact_mut(),
            0,
            Any::from("front"),
        );
        common::sync(&remote, &doc);
        let items = list.items.get();
        assert_eq!(items[0].get::<String>().as_deref(), Some("front"));
        let tail: Vec<u64> = items[1..].iter().map(|i| i.id).collect();
        assert_eq!(tail, ids_after_remove);
    });
}
