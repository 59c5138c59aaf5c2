//! The ycord half of the interoperability page: a [`ycord_leptos::CollabTextarea`] on the same
//! room as the page's JavaScript Yjs client (`js/main.mjs`), each with its own WebSocket to the
//! server. Open `/js-interop/?room=NAME` on a `ycord --static-dir` server
//! (`cargo xtask demo`), type on either side and watch the other.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use ycord_leptos::{use_provider_status, CollabTextarea, SyncStatus};
use ycord_provider::{new_doc, page_relay_url, ProviderOptions, TokenRequest, WebsocketProvider};

/// Runs when the page loads the module: connects to the room and mounts the editor in
/// `#ycord-client`.
#[wasm_bindgen(start)]
pub fn start() {
    wasm_bindgen_futures::spawn_local(run());
}

async fn run() {
    let room = param("room").unwrap_or_else(|| "interop".to_string());
    let relay_param = param("relay");
    let token = if relay_param.is_none() {
        // The development endpoint of the relay that served the page (`cargo xtask demo`);
        // another relay's tokens come from elsewhere.
        TokenRequest::dev_endpoint(&room)
    } else {
        TokenRequest::none()
    };
    let relay = relay_param
        .or_else(page_relay_url)
        .unwrap_or_else(|| "ws://127.0.0.1:8080".to_string());
    let doc = new_doc();
    // With the token the relay hands out, when it is one that asks for tokens.
    // Cross-tab sync off: the two clients of this page must meet through the server.
    let options = ProviderOptions {
        cross_tab: false,
        ..token.into_options().await
    };
    let provider = WebsocketProvider::new(&relay, &room, doc.clone(), options);
    let section = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("ycord-client"))
        .expect("the page has a #ycord-client section");
    let mounted = leptos::mount::mount_to(section.unchecked_into(), move || {
        let status = use_provider_status(&provider);
        let text = doc.get_or_insert_text("body");
        // The provider lives as long as the page.
        StoredValue::new_local(provider);
        view! {
            <SyncStatus status=status.status synced=status.synced />
            <CollabTextarea doc=doc text=text class="text" placeholder="Type here (ycord client)" />
        }
    });
    mounted.forget();
}

/// The non-empty query parameter `name` of the page's URL.
fn param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|value| !value.is_empty())
}
