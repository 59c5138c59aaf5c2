//! A collaborative text editor in the browser, built on ycord (Leptos CSR).
//!
//! Open `/editor/?room=NAME` on a `ycord --static-dir` server (`cargo xtask demo` builds and
//! serves it). Everyone on a room edits one `Y.Text`; the page shows who is here and where their
//! caret is, has undo/redo for your own edits, keeps working offline, and shows the copy kept
//! in this browser's IndexedDB before the server has answered.
//!
//! Read it in this order: [`start`] (the wiring: IndexedDB, token, provider, mount), then
//! `app.rs` (the page), `carets.rs` (remote carets) and `identity.rs` (your name and colour).
#![cfg(target_arch = "wasm32")]

mod app;
mod carets;
mod identity;
mod page;

use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use ycord_persistence::IndexeddbPersistence;
use ycord_provider::{new_doc, page_relay_url, TokenRequest, WebsocketProvider};

/// Runs when the page loads the module: restores the room's document from IndexedDB, then
/// connects to the relay and shows the editor.
#[wasm_bindgen(start)]
pub fn start() {
    wasm_bindgen_futures::spawn_local(run());
}

async fn run() {
    let room = page::param("room").unwrap_or_else(|| "welcome".to_string());
    let doc = new_doc();
    let relay_param = page::param("relay");
    let token = if relay_param.is_none() {
        // The development endpoint of the relay that served the page (`cargo xtask demo`);
        // another relay's tokens come from elsewhere.
        TokenRequest::dev_endpoint(&room)
    } else {
        TokenRequest::none()
    };

    // Offline first: what this browser stored of the room is in the document before anything
    // is shown or sent. Without IndexedDB (some private windows) the editor still works, only
    // without the local copy.
    let local = match IndexeddbPersistence::open(&format!("ycord-editor/{room}"), &doc).await {
        Ok(local) => Some(local),
        Err(error) => {
            page::warn(&format!("no local copy of the room: {error}"));
            None
        }
    };

    // The relay serving this page, unless `?relay=ws://…` names another.
    let relay = relay_param
        .or_else(page_relay_url)
        .unwrap_or_else(|| "ws://127.0.0.1:8080".to_string());
    // With the token the relay hands out, when it is one that asks for tokens.
    let options = token.into_options().await;
    let provider = Rc::new(WebsocketProvider::new(&relay, &room, doc.clone(), options));

    {
        let provider = provider.clone();
        let room = room.clone();
        leptos::mount::mount_to_body(move || {
            // The local copy lives as long as the page.
            StoredValue::new_local(local);
            view! { <app::Editor doc=doc room=room provider=provider /> }
        });
    }
    // Mounting rendered synchronously: the restored text is on screen now.
    page::mark("restored");
    provider.wait_synced().await;
    page::mark("synced");
}
