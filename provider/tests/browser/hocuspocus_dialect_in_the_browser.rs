//! The browser provider speaking the Hocuspocus dialect to the server's `/hocuspocus`
//! endpoint, next to a browser provider speaking y-websocket on the same room: edits and
//! presence travel both ways, the server's acknowledgements empty the unsynced count, and the
//! Hocuspocus one comes back after going offline.

use crate::common::{append_text, server_url, unique_room, wait_for, wait_for_text};
use wasm_bindgen_test::*;
use ycord_provider::{new_doc, Dialect, ProviderOptions, WebsocketProvider};

fn hocuspocus_provider(room: &str, doc: yrs::Doc) -> WebsocketProvider {
    let options = ProviderOptions {
        dialect: Dialect::Hocuspocus,
        cross_tab: false,
        ..ProviderOptions::default()
    };
    WebsocketProvider::new(&format!("{}/hocuspocus", server_url()), room, doc, options)
}

#[wasm_bindgen_test]
async fn a_hocuspocus_browser_provider_and_a_y_websocket_one_share_a_room() {
    let room = unique_room("browser-hocuspocus");
    let (doc_h, doc_y) = (new_doc(), new_doc());
    let hocuspocus = hocuspocus_provider(&room, doc_h.clone());
    hocuspocus.wait_synced().await;
    append_text(&doc_h, "content", "from hocuspocus; ");

    let y_websocket = crate::common::provider(server_url(), &room, doc_y.clone(), false);
    y_websocket.wait_synced().await;
    wait_for_text(&doc_y, "content", "from hocuspocus; ").await;
    append_text(&doc_y, "content", "from y-websocket 🎉");
    wait_for_text(&doc_h, "content", "from hocuspocus; from y-websocket 🎉").await;

    // Every change the Hocuspocus side sent was acknowledged as stored: the server sends each
    // acknowledgement before relaying the change, so before the other side's later edit.
    assert!(!hocuspocus.has_unsynced_changes());

    hocuspocus.set_local_state(r#"{"user":{"name":"hocuspocus"}}"#);
    y_websocket.set_local_state(r#"{"user":{"name":"y-websocket"}}"#);
    let (h_id, y_id) = (hocuspocus.client_id(), y_websocket.client_id());
    let mut at_y = y_websocket.awareness_changes();
    wait_for(&mut at_y, "the Hocuspocus provider's presence", || {
        y_websocket.awareness_states().contains_key(&h_id)
    })
    .await;
    let mut at_h = hocuspocus.awareness_changes();
    wait_for(&mut at_h, "the y-websocket provider's presence", || {
        hocuspocus.awareness_states().contains_key(&y_id)
    })
    .await;

    // Offline and back: an edit made meanwhile arrives, and presence returns.
    hocuspocus.disconnect().await;
    append_text(&doc_h, "content", " (offline)");
    hocuspocus.connect();
    wait_for_text(
        &doc_y,
        "content",
        "from hocuspocus; from y-websocket 🎉 (offline)",
    )
    .await;
    wait_for(
        &mut at_h,
        "the y-websocket provider's presence again",
        || hocuspocus.awareness_states().contains_key(&y_id),
    )
    .await;
}
