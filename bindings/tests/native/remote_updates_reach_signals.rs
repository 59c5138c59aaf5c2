//! Updates applied from another document (as a provider does) reach every bound signal.

use leptos::prelude::*;
use ycord_leptos::{use_y_array, use_y_map, use_y_text, TextDelta};
use yrs::{Any, Array, Map, MapPrelim, Text, TextPrelim, Transact};

use crate::common;

#[test]
fn text_map_and_array_signals_see_remote_changes() {
    let owner = Owner::new();
    owner.with(|| {
        let local = ycord_provider::new_doc();
        let remote = ycord_provider::new_doc();
        let text = use_y_text(&local, &local.get_or_insert_text("body"));
        let map = use_y_map(&local, &local.get_or_insert_map("meta"));
        let array = use_y_array(&local, &local.get_or_insert_array("list"));

        (text.insert)(0, "world");
        common::sync(&local, &remote);

        let r_text = remote.get_or_insert_text("body");
        r_text.insert(&mut remote.transact_mut(), 0, "hello 😀 ");
        remote
            .get_or_insert_map("meta")
            .insert(&mut remote.transact_mut(), "title", "From afar");
        remote
            .get_or_insert_array("list")
            .push_back(&mut remote.transact_mut(), Any::from(42));
        common::sync(&remote, &local);

        assert_eq!(text.text.get(), "hello 😀 world");
        assert_eq!(text.len.get(), 14);
        assert_eq!(*text.delta.get(), [TextDelta::Insert("hello 😀 ".into())]);
        assert_eq!(map.map.get::<String>("title").as_deref(), Some("From afar"));
        assert_eq!(map.keys.get(), vec!["title".to_string()]);
        let items = array.items.get();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].get::<i64>(), Some(42));

        // A remote deletion in the middle arrives as retain + delete.
        r_text.remove_range(&mut remote.transact_mut(), 6, 3);
        common::sync(&remote, &local);
        assert_eq!(text.text.get(), "hello world");
        assert_eq!(
            *text.delta.get(),
            [TextDelta::Retain(6), TextDelta::Delete(3)]
        );
    });
}

#[test]
fn nested_types_bind_like_root_types() {
    let owner = Owner::new();
    owner.with(|| {
        let local = ycord_provider::new_doc();
        let remote = ycord_provider::new_doc();
        // A map inside an array, a text inside that map.
        {
            let list = remote.get_or_insert_array("cards");
            let mut txn = remote.transact_mut();
            let card = list.push_back(&mut txn, MapPrelim::default());
            card.insert(&mut txn, "title", "first");
            card.insert(&mut txn, "notes", TextPrelim::new("abc"));
        }
        common::sync(&remote, &local);

        let cards = use_y_array(&local, &local.get_or_insert_array("cards"));
        let card_ref = cards.items.get()[0].as_map().expect("a map in the array");
        let card = use_y_map(&local, &card_ref);
        let notes_ref = card.map.text("notes").expect("a text in the map");
        let notes = use_y_text(&local, &notes_ref);
        assert_eq!(card.map.get::<String>("title").as_deref(), Some("first"));
        assert_eq!(notes.text.get(), "abc");

        {
            let list = remote.get_or_insert_array("cards");
            let mut txn = remote.transact_mut();
            let Some(yrs::Out::YMap(card)) = list.get(&txn, 0) else {
                panic!("card missing")
            };
            card.insert(&mut txn, "title", "renamed");
            let Some(yrs::Out::YText(notes)) = card.get(&txn, "notes") else {
                panic!("notes missing")
            };
            notes.insert(&mut txn, 3, "def");
        }
        common::sync(&remote, &local);
        assert_eq!(card.map.get::<String>("title").as_deref(), Some("renamed"));
        assert_eq!(notes.text.get(), "abcdef");

        // Local writes through the nested bindings reach the other replica.
        (notes.insert)(0, ">");
        card.map.set("done", true).unwrap();
        common::sync(&local, &remote);
        let list = remote.get_or_insert_array("cards");
        let txn = remote.transact();
        let Some(yrs::Out::YMap(card)) = list.get(&txn, 0) else {
            panic!("card missing")
        };
        assert_eq!(card.get(&txn, "done"), Some(yrs::Out::Any(Any::Bool(true))));
        let Some(yrs::Out::YText(notes)) = card.get(&txn, "notes") else {
            panic!("notes missing")
        };
        assert_eq!(yrs::GetString::get_string(&notes, &txn), ">abcdef");
    });
}
