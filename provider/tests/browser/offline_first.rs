//! Offline first in the browser: a document restored from IndexedDB (y-indexeddb's format)
//! is complete before any socket, edits made while disconnected are in IndexedDB at once, and
//! they reach the server on the next connection.

use crate::common::{
    append_text, provider, server_url, unique_room, wait_for_text, UNREACHABLE_URL,
};
use wasm_bindgen_test::*;
use ycord_persistence::IndexeddbPersistence;
use ycord_provider::{new_doc, Status};
use yrs::{GetString, Transact};

fn text_of(doc: &yrs::Doc) -> String {
    doc.get_or_insert_text("content")
        .get_string(&doc.transact())
}

/// What a fresh tab would restore from the database `name`.
async fn restored(name: &str) -> String {
    let doc = new_doc();
    let local = IndexeddbPersistence::open(name, &doc).await.unwrap();
    let text = text_of(&doc);
    local.destroy().await.unwrap();
    text
}

#[wasm_bindgen_test]
async fn offline_edits_are_stored_at_once_and_reach_the_server_on_reconnect() {
    let room = unique_room("offline-first");
    let doc = new_doc();
    let local = IndexeddbPersistence::open(&room, &doc).await.unwrap();
    let tab = provider(server_url(), &room, doc.clone(), false);
    tab.wait_synced().await;
    append_text(&doc, "content", "online; ");

    tab.disconnect().await;
    assert_eq!(tab.status(), Status::Disconnected);
    append_text(&doc, "content", "offline");
    local.flush().await.unwrap();
    assert_eq!(
        restored(&room).await,
        "online; offline",
        "stored without the server"
    );

    // Someone who only has the server sees the offline edit once the tab reconnects.
    let elsewhere = new_doc();
    let other = provider(server_url(), &room, elsewhere.clone(), false);
    other.wait_synced().await;
    tab.connect();
    wait_for_text(&elsewhere, "content", "online; offline").await;
    local.destroy().await.unwrap();
}

#[wasm_bindgen_test]
async fn a_reloaded_tab_shows_its_document_before_any_socket() {
    let room = unique_room("offline-reload");
    {
        let doc = new_doc();
        let local = IndexeddbPersistence::open(&room, &doc).await.unwrap();
        append_text(&doc, "content", "typed before the reload");
        local.flush().await.unwrap();
        local.destroy().await.unwrap();
    }

    // The reload, with the server unreachable: the content is there as soon as the local
    // copy is open, and the provider starts from it.
    let doc = new_doc();
    let local = IndexeddbPersistence::open(&room, &doc).await.unwrap();
    assert_eq!(text_of(&doc), "typed before the reload");
    let tab = provider(UNREACHABLE_URL, &room, doc.clone(), false);
    assert!(!tab.is_synced());
    append_text(&doc, "content", "; and after");
    local.flush().await.unwrap();
    assert_eq!(restored(&room).await, "typed before the reload; and after");
    local.destroy().await.unwrap();
}
