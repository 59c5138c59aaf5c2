//! Browser providers given access tokens by the page sync with an auth-enabled ycord server
//! (which the harness starts with tokens minted by `ycord token`), and the bindings' status
//! signals show what the server decided. A socket that opens proves the server answered the
//! `ycord` subprotocol: the browser fails the connection otherwise.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen_test::*;
use ycord_leptos::{status_label, use_provider_status};
use ycord_provider::{new_doc, ProviderOptions, Status, TokenSource, WebsocketProvider};

use crate::common::{
    auth_room, auth_server_url, mount_textarea, other_room_token, ro_token, rw_token, timer,
    type_text, wait_for_doc, wait_for_value,
};

fn options(token: Option<&str>, token_source: Option<TokenSource>) -> ProviderOptions {
    ProviderOptions {
        cross_tab: false,
        token: token.map(str::to_owned),
        token_source,
        ..ProviderOptions::default()
    }
}

/// A source fetching `token` the way a page fetches one from its backend.
fn fetched(token: &str) -> TokenSource {
    TokenSource::from_url(&format!("data:text/plain,{token}"))
}

/// Mirrors a signal into a watch, so a test can await its changes.
fn watch_signal<T: Clone + Send + Sync + 'static>(
    signal: Signal<T>,
) -> tokio::sync::watch::Receiver<T> {
    let (tx, rx) = tokio::sync::watch::channel(signal.get_untracked());
    Effect::new(move |_| {
        let _ = tx.send(signal.get());
    });
    rx
}

#[wasm_bindgen_test]
async fn a_fetched_token_opens_the_socket_and_textareas_converge() {
    let room = auth_room("textareas");
    let (doc_a, doc_b) = (new_doc(), new_doc());
    let (text_a, text_b) = (
        doc_a.get_or_insert_text("body"),
        doc_b.get_or_insert_text("body"),
    );
    // Mounting also starts Leptos' executor, which the status signals run on.
    let mounted_a = mount_textarea(&doc_a, &text_a);
    let mounted_b = mount_textarea(&doc_b, &text_b);
    let a = WebsocketProvider::new(
        auth_server_url(),
        &room,
        doc_a.clone(),
        options(None, Some(fetched(rw_token()))),
    );
    let b = WebsocketProvider::new(
        auth_server_url(),
        &room,
        doc_b.clone(),
        options(Some(rw_token()), None),
    );
    let owner = Owner::new();
    let status = owner.with(|| use_provider_status(&a));
    let mut label = owner.with(|| {
        watch_signal(Signal::derive(move || {
            status_label(status.status.get(), status.synced.get())
        }))
    });
    wait_for_value(&mut label, "a's status to read synced", |label| {
        *label == "synced"
    })
    .await;
    b.wait_synced().await;

    mounted_a.textarea.set_selection_range(0, 0).unwrap();
    type_text(&mounted_a.textarea, "typed with a token");
    wait_for_doc(&doc_b, "a's text at b", || {
        mounted_b.textarea.value() == "typed with a token"
    })
    .await;
    drop(owner);
}

#[wasm_bindgen_test]
async fn a_read_only_token_syncs_and_the_status_shows_the_denial() {
    let room = auth_room("read-only");
    let writer_doc = new_doc();
    let writer = WebsocketProvider::new(
        auth_server_url(),
        &room,
        writer_doc.clone(),
        options(Some(rw_token()), None),
    );
    writer.wait_synced().await;
    {
        use yrs::{Text, Transact};
        let text = writer_doc.get_or_insert_text("body");
        text.insert(&mut writer_doc.transact_mut(), 0, "from the writer");
    }

    let reader_doc = new_doc();
    let reader_text = reader_doc.get_or_insert_text("body");
    let mounted = mount_textarea(&reader_doc, &reader_text);
    let reader = WebsocketProvider::new(
        auth_server_url(),
        &room,
        reader_doc.clone(),
        options(Some(ro_token()), None),
    );
    let owner = Owner::new();
    let status = owner.with(|| use_provider_status(&reader));
    let mut denied = owner.with(|| watch_signal(status.permission_denied));
    wait_for_doc(&reader_doc, "the writer's text at the reader", || {
        mounted.textarea.value() == "from the writer"
    })
    .await;
    assert_eq!(status.permission_denied.get_untracked(), None);
    let end = mounted.textarea.value().encode_utf16().count() as u32;
    mounted.textarea.set_selection_range(end, end).unwrap();
    type_text(&mounted.textarea, " and the reader");
    wait_for_value(&mut denied, "the read-only denial", Option::is_some).await;
    assert_eq!(
        status.permission_denied.get_untracked().as_deref(),
        Some("read-only")
    );
    drop(owner);
}

#[wasm_bindgen_test]
async fn a_token_for_another_room_is_replaced_from_the_source() {
    let room = auth_room("other-room");
    let doc = new_doc();
    let provider = WebsocketProvider::new(
        auth_server_url(),
        &room,
        doc,
        options(Some(other_room_token()), Some(fetched(rw_token()))),
    );
    // The first upgrade is refused (403), which a page sees only as a socket that never
    // opened: the provider then asks its source, and the fresh token is accepted.
    provider.wait_synced().await;
    assert_eq!(provider.status(), Status::Connected);
}

#[wasm_bindgen_test]
async fn a_token_for_another_room_without_a_source_never_opens() {
    let room = auth_room("refused");
    let provider = WebsocketProvider::new(
        auth_server_url(),
        &room,
        new_doc(),
        options(Some(other_room_token()), None),
    );
    let mut status = provider.status_changes();
    // Refusals can only be waited out: give it several connection attempts.
    let deadline = js_sys::Date::now() + 2_000.0;
    loop {
        assert_ne!(
            *status.borrow_and_update(),
            Status::Connected,
            "the server accepted a token for another room"
        );
        let left = deadline - js_sys::Date::now();
        if left <= 0.0 {
            break;
        }
        tokio::select! {
            _ = status.changed() => {}
            () = timer(Duration::from_millis(left as u64)) => {}
        }
    }
}
