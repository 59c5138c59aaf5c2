//! A ycord provider and the real y-websocket provider (npm, bundled for the test page) on one
//! origin and one room converge over the cross-tab channel alone, the server being
//! unreachable, and see each other's presence.

use crate::common::{
    append_text, provider, unique_room, wait_for, wait_for_text, PATIENCE, UNREACHABLE_URL,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use ycord_provider::new_doc;

// Built by `npm run build:browser` in interop/ (`cargo xtask test` does it first).
#[wasm_bindgen(module = "/../interop/browser/dist/yjs-browser.js")]
extern "C" {
    type YTab;
    #[wasm_bindgen(js_name = openYWebsocketTab)]
    fn open_y_websocket_tab(server_url: &str, room: &str) -> YTab;
    #[wasm_bindgen(js_name = yTabAppend)]
    fn y_tab_append(tab: &YTab, name: &str, content: &str);
    #[wasm_bindgen(js_name = yTabClientId)]
    fn y_tab_client_id(tab: &YTab) -> f64;
    #[wasm_bindgen(js_name = yTabSetPresence)]
    fn y_tab_set_presence(tab: &YTab, json: &str);
    #[wasm_bindgen(js_name = yTabWaitForText)]
    fn y_tab_wait_for_text(
        tab: &YTab,
        name: &str,
        expected: &str,
        timeout_ms: u32,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = yTabWaitForPresence)]
    fn y_tab_wait_for_presence(tab: &YTab, client_id: f64, timeout_ms: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = yTabClose)]
    fn y_tab_close(tab: &YTab);
}

#[wasm_bindgen_test]
async fn ycord_and_y_websocket_tabs_converge_without_a_server() {
    let room = unique_room("tabs-js");
    let patience = PATIENCE.as_millis() as u32;
    let js = open_y_websocket_tab(UNREACHABLE_URL, &room);
    y_tab_append(&js, "content", "from js; ");

    let doc = new_doc();
    let ycord = provider(UNREACHABLE_URL, &room, doc.clone(), true);
    wait_for_text(&doc, "content", "from js; ").await;

    append_text(&doc, "content", "from ycord 🎉");
    JsFuture::from(y_tab_wait_for_text(
        &js,
        "content",
        "from js; from ycord 🎉",
        patience,
    ))
    .await
    .expect("the y-websocket tab receives ycord's edit");

    ycord.set_local_state(r#"{"user":{"name":"ycord"}}"#);
    JsFuture::from(y_tab_wait_for_presence(
        &js,
        ycord.client_id() as f64,
        patience,
    ))
    .await
    .expect("the y-websocket tab sees ycord's presence");
    y_tab_set_presence(&js, r#"{"user":{"name":"js"}}"#);
    let js_id = y_tab_client_id(&js) as u64;
    let mut awareness = ycord.awareness_changes();
    wait_for(&mut awareness, "the y-websocket tab's presence", || {
        ycord.awareness_states().contains_key(&js_id)
    })
    .await;
    y_tab_close(&js);
}
