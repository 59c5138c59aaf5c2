//! An offline-first todo list in the browser, built on ycord (Leptos CSR).
//!
//! Open `/todos/?room=NAME` on a `ycord --static-dir` server (`cargo xtask demo` builds and
//! serves it). The todos are a [`ycord_leptos::YCollection`]: each todo is a Y.Map of its
//! fields, so two people editing different fields of one todo keep both edits. Everything is
//! kept in IndexedDB, so the list works offline and survives a reload; edits made offline are
//! counted as pending until the server has them.
//!
//! Read it in this order: [`start`] (the wiring), `todo.rs` (the record and its order), then
//! `app.rs` (the page) and `pending.rs` (the pending-changes count).
#![cfg(target_arch = "wasm32")]

mod app;
mod page;
mod pending;
mod todo;

use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use ycord_persistence::IndexeddbPersistence;
use ycord_provider::{new_doc, page_relay_url, TokenRequest, WebsocketProvider};

/// Runs when the page loads the module: restores the list from IndexedDB, then connects to the
/// relay and shows it.
#[wasm_bindgen(start)]
pub fn start() {
    wasm_bindgen_futures::spawn_local(run());
}

async fn run() {
    let room = page::param("room").unwrap_or_else(|| "todos".to_string());
    let doc = new_doc();
    let relay_param = page::param("relay");
    let token = if relay_param.is_none() {
        // The development endpoint of the relay that served the page (`cargo xtask demo`);
        // another relay's tokens come from elsewhere.
        TokenRequest::dev_endpoint(&room)
    } else {
        TokenRequest::none()
    };
    let local = match IndexeddbPersistence::open(&format!("ycord-todos/{room}"), &doc).await {
        Ok(local) => Some(local),
        Err(error) => {
            page::warn(&format!("no local copy of the list: {error}"));
            None
        }
    };
    let relay = relay_param
        .or_else(page_relay_url)
        .unwrap_or_else(|| "ws://127.0.0.1:8080".to_string());
    // With the token the relay hands out, when it is one that asks for tokens.
    let options = token.into_options().await;
    let provider = Rc::new(WebsocketProvider::new(&relay, &room, doc.clone(), options));
    leptos::mount::mount_to_body(move || {
        StoredValue::new_local(local);
        view! { <app::Todos doc=doc room=room provider=provider /> }
    });
}
