//! A database written by the y-indexeddb npm package loads in ycord with identical content,
//! and one written by ycord (compacted or not) loads in y-indexeddb with identical content.
//!
//! The real yjs and y-indexeddb run in the same page, bundled by `npm run build:browser` in
//! `interop/` (the test harness does this before building the browser tests).

use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use ycord_persistence::{IndexeddbOptions, IndexeddbPersistence};
use yrs::{ReadTxn, StateVector, Transact};

use crate::indexeddb::{apply, content, new_doc, ops_to_js, sample_ops, unique_name, Op};
use crate::yjs;

/// The document as yjs sees it, in the JS helpers' canonical form.
fn yjs_view(doc: &yrs::Doc) -> String {
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    yjs::canonical_content_of_update(&js_sys::Uint8Array::from(&state[..]))
}

fn mixed_ops(tag: &str) -> Vec<Op> {
    let mut ops = sample_ops(tag, 40);
    ops.push(Op::ArrayDelete(0, 2));
    ops.push(Op::Text(0, "é ü 😀 "));
    ops
}

#[wasm_bindgen_test]
async fn ycord_loads_what_y_indexeddb_wrote() {
    let name = unique_name("from-js");
    let ops = mixed_ops("js");
    let written = yjs::write_with_y_indexeddb(&name, ops_to_js(&ops)).await;
    let written = written.as_string().expect("canonical content");

    let doc = new_doc();
    let local = IndexeddbPersistence::open(&name, &doc).await.unwrap();
    assert_eq!(yjs_view(&doc), written);
    // The same edits made by yrs give the same content.
    let replayed = new_doc();
    apply(&replayed, &ops);
    assert_eq!(content(&doc), content(&replayed));
    assert!(content(&doc).text.starts_with("é ü 😀 "));
    local.clear_data().await.unwrap();
}

#[wasm_bindgen_test]
async fn y_indexeddb_loads_what_ycord_wrote() {
    let name = unique_name("from-ycord");
    let doc = new_doc();
    let local = IndexeddbPersistence::open(&name, &doc).await.unwrap();
    apply(&doc, &mixed_ops("rs"));
    local.flush().await.unwrap();
    assert_eq!(
        local.stored_rows().await.unwrap(),
        42,
        "one row per edit, uncompacted"
    );
    local.destroy().await.unwrap();

    let loaded = yjs::read_with_y_indexeddb(&name).await.as_string().unwrap();
    assert_eq!(loaded, yjs_view(&doc));
    let reader = IndexeddbPersistence::open(&name, &new_doc()).await.unwrap();
    reader.clear_data().await.unwrap();
}

#[wasm_bindgen_test]
async fn y_indexeddb_loads_what_ycord_compacted() {
    let name = unique_name("compacted-by-ycord");
    let doc = new_doc();
    let options = IndexeddbOptions {
        compact_after_rows: 16,
        ..IndexeddbOptions::default()
    };
    let local = IndexeddbPersistence::open_with_options(&name, &doc, options)
        .await
        .unwrap();
    apply(&doc, &mixed_ops("rs"));
    local.compact().await.unwrap();
    apply(&doc, &sample_ops("after", 5));
    local.flush().await.unwrap();
    assert_eq!(
        local.stored_rows().await.unwrap(),
        6,
        "the snapshot and 5 later rows"
    );
    local.destroy().await.unwrap();

    let loaded = yjs::read_with_y_indexeddb(&name).await.as_string().unwrap();
    assert_eq!(loaded, yjs_view(&doc));
    let reader = IndexeddbPersistence::open(&name, &new_doc()).await.unwrap();
    reader.clear_data().await.unwrap();
}

#[wasm_bindgen_test]
async fn ycord_and_y_indexeddb_share_one_database_in_turns() {
    let name = unique_name("turns");
    yjs::write_with_y_indexeddb(&name, ops_to_js(&sample_ops("js1", 12))).await;

    // ycord loads, edits and compacts: y-indexeddb's rows are merged, not lost.
    let doc = new_doc();
    let local = IndexeddbPersistence::open(&name, &doc).await.unwrap();
    apply(&doc, &sample_ops("rs", 12));
    local.compact().await.unwrap();
    local.destroy().await.unwrap();

    let after_js = yjs::write_with_y_indexeddb(&name, ops_to_js(&sample_ops("js2", 12))).await;
    let reader = new_doc();
    let again = IndexeddbPersistence::open(&name, &reader).await.unwrap();
    assert_eq!(Some(yjs_view(&reader)), after_js.as_string());
    for key in ["js1-1", "rs-7", "js2-1"] {
        assert!(content(&reader).map.contains_key(key), "{key}");
    }
    again.clear_data().await.unwrap();
}

#[wasm_bindgen_test]
async fn custom_values_are_shared_with_y_indexeddb() {
    let name = unique_name("custom-shared");
    yjs::set_custom_with_y_indexeddb(&name, &"from js".into(), &"hello".into()).await;
    let local = IndexeddbPersistence::open(&name, &new_doc()).await.unwrap();
    assert_eq!(
        local.get(&"from js".into()).await.unwrap(),
        Some(JsValue::from("hello"))
    );
    local.set(&"from ycord".into(), &42.into()).await.unwrap();
    local.destroy().await.unwrap();
    assert_eq!(
        yjs::get_custom_with_y_indexeddb(&name, &"from ycord".into()).await,
        JsValue::from(42)
    );
    let reader = IndexeddbPersistence::open(&name, &new_doc()).await.unwrap();
    reader.clear_data().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_row_that_is_not_an_update_is_reported_with_its_position() {
    let name = unique_name("corrupt");
    let doc = new_doc();
    apply(&doc, &sample_ops("ok", 1));
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let rows = js_sys::Array::of2(
        &js_sys::Uint8Array::from(&state[..]),
        &JsValue::from("not an update"),
    );
    yjs::write_rows(&name, &rows).await;

    let err = IndexeddbPersistence::open(&name, &new_doc())
        .await
        .expect_err("the second row is a string");
    match &err {
        ycord_persistence::IndexeddbError::CorruptRow { position, .. } => {
            assert_eq!(*position, 1)
        }
        other => panic!("expected CorruptRow, got {other:?}"),
    }
    assert!(err.to_string().contains("clear_data"), "{err}");
    yjs::delete_database(&name).await;
}
