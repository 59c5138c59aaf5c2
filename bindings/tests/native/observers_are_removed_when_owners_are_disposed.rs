//! Mounting and unmounting hooks many times leaves no observer registered in yrs.
//!
//! The count of live observers is the whole process's: the test runs alone in a process of
//! its own, so the hooks of tests running beside it do not count.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use ycord_leptos::subscription::live_observers;
use ycord_leptos::{
    use_undo, use_y_array, use_y_collection, use_y_map, use_y_text, CollabTextarea,
};
use yrs::{Any, Array, Map, Text, Transact};

use crate::own_process::run_alone;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
struct Rec {
    n: u32,
}

#[test]
fn thousand_mounts_and_unmounts_leave_no_observer_behind() {
    run_alone(
        "observers_are_removed_when_owners_are_disposed::\
         thousand_mounts_and_unmounts_leave_no_observer_behind",
        mount_and_unmount_a_thousand_times,
    );
}

fn mount_and_unmount_a_thousand_times() {
    let doc = ycord_provider::new_doc();
    let text = doc.get_or_insert_text("text");
    let map = doc.get_or_insert_map("map");
    let array = doc.get_or_insert_array("array");
    let records = doc.get_or_insert_map("records");
    assert_eq!(live_observers(), 0);

    let root = Owner::new();
    root.set();
    for round in 0..1_000u32 {
        let component = root.child();
        component.with(|| {
            let t = use_y_text(&doc, &text);
            let m = use_y_map(&doc, &map);
            let a = use_y_array(&doc, &array);
            let c = use_y_collection::<Rec>(&doc, &records);
            let u = use_undo(&doc, &[&text, &map]);
            let _view = CollabTextarea(
                ycord_leptos::CollabTextareaProps::builder()
                    .doc(doc.clone())
                    .text(text.clone())
                    .build(),
            );
            // Observers fire while mounted.
            (t.insert)(0, "x");
            m.map.set("k", round).unwrap();
            (a.push)(Any::from(f64::from(round)).into());
            c.insert("r", &Rec { n: round }).unwrap();
            assert!(u.can_undo.get());
            assert_eq!(t.len.get(), round + 1);
        });
        // text, map, array, collection, undo and textarea: one observer each.
        assert_eq!(
            live_observers(),
            6,
            "round {round}: each hook holds one observer"
        );
        component.cleanup();
        assert_eq!(
            live_observers(),
            0,
            "round {round}: cleanup released every observer"
        );
    }

    // The document keeps working and nothing calls back into disposed hooks.
    text.insert(&mut doc.transact_mut(), 0, "y");
    map.insert(&mut doc.transact_mut(), "k", 1);
    array.push_back(&mut doc.transact_mut(), Any::from(1));
    assert_eq!(live_observers(), 0);
    assert_eq!(text.len(&doc.transact()), 1_001);
}
