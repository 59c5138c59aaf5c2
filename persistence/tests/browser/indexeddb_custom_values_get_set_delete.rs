//! The `custom` store keeps application values next to the document: set, get, overwrite,
//! delete, and they survive a reload.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use ycord_persistence::IndexeddbPersistence;

use crate::indexeddb::{new_doc, unique_name};

#[wasm_bindgen_test]
async fn custom_values_are_kept_until_deleted() {
    let name = unique_name("custom");
    let local = IndexeddbPersistence::open(&name, &new_doc()).await.unwrap();
    let title = JsValue::from("title");
    let opened = JsValue::from(7);
    assert_eq!(local.get(&title).await.unwrap(), None);

    local.set(&title, &"Draft".into()).await.unwrap();
    local.set(&opened, &JsValue::from(3.5)).await.unwrap();
    assert_eq!(
        local.get(&title).await.unwrap(),
        Some(JsValue::from("Draft"))
    );
    local.set(&title, &"Final".into()).await.unwrap();
    assert_eq!(
        local.get(&title).await.unwrap(),
        Some(JsValue::from("Final"))
    );
    assert_eq!(
        local.stored_rows().await.unwrap(),
        0,
        "custom values are not updates"
    );
    drop(local);

    let reopened = IndexeddbPersistence::open(&name, &new_doc()).await.unwrap();
    assert_eq!(
        reopened.get(&title).await.unwrap(),
        Some(JsValue::from("Final"))
    );
    assert_eq!(
        reopened.get(&opened).await.unwrap(),
        Some(JsValue::from(3.5))
    );
    reopened.delete(&title).await.unwrap();
    assert_eq!(reopened.get(&title).await.unwrap(), None);
    assert_eq!(
        reopened.get(&opened).await.unwrap(),
        Some(JsValue::from(3.5))
    );

    let bad_key = JsValue::from(js_sys::Object::new());
    let err = reopened
        .set(&bad_key, &"x".into())
        .await
        .expect_err("an object is not an IndexedDB key");
    assert!(err.to_string().contains("DataError"), "{err}");
    reopened.clear_data().await.unwrap();
}
