//! `clear_data` deletes the document's database: updates and custom values alike.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use ycord_persistence::IndexeddbPersistence;

use crate::indexeddb::{apply, content, new_doc, sample_ops, unique_name};

#[wasm_bindgen_test]
async fn a_cleared_document_loads_empty() {
    let name = unique_name("clear");
    let doc = new_doc();
    let local = IndexeddbPersistence::open(&name, &doc).await.unwrap();
    apply(&doc, &sample_ops("clear", 8));
    local
        .set(&"title".into(), &"to be deleted".into())
        .await
        .unwrap();
    local.flush().await.unwrap();
    assert_eq!(local.stored_rows().await.unwrap(), 8);
    local.clear_data().await.unwrap();

    // The document in memory keeps its content; the browser keeps nothing.
    assert_eq!(content(&doc).map.len(), 3);
    let fresh = new_doc();
    let reopened = IndexeddbPersistence::open(&name, &fresh).await.unwrap();
    assert_eq!(reopened.stored_rows().await.unwrap(), 0);
    assert_eq!(content(&fresh).text, "");
    assert!(content(&fresh).map.is_empty());
    assert_eq!(reopened.get(&JsValue::from("title")).await.unwrap(), None);
    reopened.clear_data().await.unwrap();
}
