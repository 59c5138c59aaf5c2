//! The real yjs and y-indexeddb npm packages, bundled by `npm run build:browser` in
//! `interop/` (`interop/browser/entry.mjs` → `interop/browser/dist/yjs-browser.js`).
#![allow(dead_code)]

use wasm_bindgen::prelude::*;

#[cfg(ycord_js_bundle_missing)]
compile_error!(
    "interop/browser/dist/yjs-browser.js is missing: the browser tests need the real yjs and \
     y-indexeddb bundled for the page; run `npm ci && npm run build:browser` in interop/ \
     (`cargo xtask test --suite wasm` does this) and build again"
);

#[wasm_bindgen(module = "/../interop/browser/dist/yjs-browser.js")]
extern "C" {
    /// yjs's view of the document a v1 update describes, as canonical JSON.
    #[wasm_bindgen(js_name = canonicalContentOfUpdate)]
    pub fn canonical_content_of_update(update: &js_sys::Uint8Array) -> String;

    /// Writes the ops with y-indexeddb (one row each); resolves to the canonical content.
    #[wasm_bindgen(js_name = writeWithYIndexeddb)]
    pub async fn write_with_y_indexeddb(name: &str, ops: js_sys::Array) -> JsValue;

    /// Loads the document with y-indexeddb; resolves to the canonical content.
    #[wasm_bindgen(js_name = readWithYIndexeddb)]
    pub async fn read_with_y_indexeddb(name: &str) -> JsValue;

    /// `custom[key] = value` through y-indexeddb.
    #[wasm_bindgen(js_name = setCustomWithYIndexeddb)]
    pub async fn set_custom_with_y_indexeddb(name: &str, key: &JsValue, value: &JsValue);

    /// `custom[key]` through y-indexeddb.
    #[wasm_bindgen(js_name = getCustomWithYIndexeddb)]
    pub async fn get_custom_with_y_indexeddb(name: &str, key: &JsValue) -> JsValue;

    /// Replays the gzip-compressed automerge-paper trace with yjs, one transaction per edit.
    #[wasm_bindgen(js_name = replayTrace)]
    pub async fn replay_trace(gzipped: &js_sys::Uint8Array) -> JsValue;

    /// Creates a database in y-indexeddb's layout holding `rows`, in one transaction.
    #[wasm_bindgen(js_name = writeRows)]
    pub async fn write_rows(name: &str, rows: &js_sys::Array);

    /// Deletes a database.
    #[wasm_bindgen(js_name = deleteDatabase)]
    pub async fn delete_database(name: &str);

    /// Times one `getAll` of every row of `updates`; resolves to `{ms, rows}`.
    #[wasm_bindgen(js_name = timeGetAll)]
    pub async fn time_get_all(name: &str) -> JsValue;

    /// Restores a document with y-indexeddb; resolves to `{ms, length}`.
    #[wasm_bindgen(js_name = restoreWithYIndexeddb)]
    pub async fn restore_with_y_indexeddb(name: &str) -> JsValue;
}
