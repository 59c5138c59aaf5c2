//! What one instance stores, the next one loads: text, map and array edits of every origin,
//! including edits made before the database was open.

use wasm_bindgen_test::*;
use ycord_persistence::IndexeddbPersistence;
use yrs::{Text, Transact};

use crate::indexeddb::{apply, content, new_doc, sample_ops, unique_name, Op};

#[wasm_bindgen_test]
async fn a_reopened_document_has_everything_that_was_edited() {
    let name = unique_name("round-trip");
    let written = new_doc();
    let local = IndexeddbPersistence::open(&name, &written).await.unwrap();
    assert!(local.is_synced());
    assert_eq!(
        local.stored_rows().await.unwrap(),
        0,
        "a new database is empty"
    );

    let ops = sample_ops("rt", 30);
    apply(&written, &ops);
    // Updates that arrive from elsewhere (a provider applying the server's) are stored too.
    let text = written.get_or_insert_text("text");
    text.push(&mut written.transact_mut_with("remote"), "from the server");
    local.flush().await.unwrap();
    assert_eq!(
        local.stored_rows().await.unwrap(),
        31,
        "one row per transaction"
    );
    let expected = content(&written);
    assert!(expected.text.ends_with("from the server"));
    drop(local);

    let loaded = new_doc();
    let reopened = IndexeddbPersistence::open(&name, &loaded).await.unwrap();
    assert_eq!(content(&loaded), expected);
    reopened.clear_data().await.unwrap();
}

#[wasm_bindgen_test]
async fn edits_made_before_the_load_finished_are_stored() {
    let name = unique_name("early-edits");
    let doc = new_doc();
    let local = IndexeddbPersistence::new(&name, &doc);
    assert!(
        !local.is_synced(),
        "loading takes at least one event-loop turn"
    );
    apply(&doc, &[Op::Text(0, "typed before the load")]);
    local.when_synced().await.unwrap();
    assert!(local.is_synced());
    local.flush().await.unwrap();
    assert_eq!(local.stored_rows().await.unwrap(), 1);
    let expected = content(&doc);
    drop(local);

    let loaded = new_doc();
    let reopened = IndexeddbPersistence::open(&name, &loaded).await.unwrap();
    assert_eq!(content(&loaded), expected);
    assert_eq!(content(&loaded).text, "typed before the load");
    reopened.clear_data().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_destroyed_instance_stores_nothing_more() {
    let name = unique_name("destroyed");
    let doc = new_doc();
    let local = IndexeddbPersistence::open(&name, &doc).await.unwrap();
    apply(&doc, &[Op::Text(0, "kept")]);
    local.destroy().await.unwrap();
    apply(&doc, &[Op::Text(4, " not kept")]);

    let loaded = new_doc();
    let reopened = IndexeddbPersistence::open(&name, &loaded).await.unwrap();
    assert_eq!(content(&loaded).text, "kept");
    assert_eq!(reopened.stored_rows().await.unwrap(), 1);
    reopened.clear_data().await.unwrap();
}
