//! Opening a document again and again without editing it does not grow its database (the
//! y-indexeddb npm package appends the whole document on every load).

use wasm_bindgen_test::*;
use ycord_persistence::IndexeddbPersistence;

use crate::indexeddb::{apply, content, new_doc, sample_ops, unique_name};

#[wasm_bindgen_test]
async fn reloads_without_edits_leave_the_rows_as_they_are() {
    let name = unique_name("reload");
    let doc = new_doc();
    let local = IndexeddbPersistence::open(&name, &doc).await.unwrap();
    apply(&doc, &sample_ops("reload", 12));
    local.flush().await.unwrap();
    let expected = content(&doc);
    drop(local);

    for reload in 0..4 {
        let loaded = new_doc();
        let again = IndexeddbPersistence::open(&name, &loaded).await.unwrap();
        again.flush().await.unwrap();
        assert_eq!(content(&loaded), expected, "reload {reload}");
        assert_eq!(again.stored_rows().await.unwrap(), 12, "reload {reload}");
        drop(again);
    }

    // One edit after a reload adds exactly one row.
    let loaded = new_doc();
    let again = IndexeddbPersistence::open(&name, &loaded).await.unwrap();
    apply(&loaded, &sample_ops("after", 1));
    again.flush().await.unwrap();
    assert_eq!(again.stored_rows().await.unwrap(), 13);
    again.clear_data().await.unwrap();
}
