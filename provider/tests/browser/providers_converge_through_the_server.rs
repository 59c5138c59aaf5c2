//! Two browser providers on one room of a real ycord server, with cross-tab sync off so that
//! only the server can carry their edits, reach the same document and see each other's
//! presence.

use crate::common::{append_text, provider, server_url, unique_room, wait_for, wait_for_text};
use wasm_bindgen_test::*;
use ycord_provider::{new_doc, Status};
use yrs::{Map, Transact};

#[wasm_bindgen_test]
async fn edits_and_presence_travel_through_the_server() {
    let room = unique_room("browser-server");
    let (doc_a, doc_b) = (new_doc(), new_doc());
    let a = provider(server_url(), &room, doc_a.clone(), false);
    a.wait_synced().await;
    assert_eq!(a.status(), Status::Connected);
    append_text(&doc_a, "content", "written before b joined; ");

    let b = provider(server_url(), &room, doc_b.clone(), false);
    b.wait_synced().await;
    wait_for_text(&doc_b, "content", "written before b joined; ").await;

    append_text(&doc_b, "content", "emoji 🎉 and 中文");
    let expected = "written before b joined; emoji 🎉 and 中文";
    wait_for_text(&doc_a, "content", expected).await;

    a.set_local_state(r#"{"user":{"name":"alice"}}"#);
    let mut awareness = b.awareness_changes();
    let alice = a.client_id();
    wait_for(&mut awareness, "alice's presence at b", || {
        b.awareness_states().get(&alice).map(String::as_str) == Some(r#"{"user":{"name":"alice"}}"#)
    })
    .await;

    a.disconnect().await;
    assert_eq!(a.status(), Status::Disconnected);
    wait_for(&mut awareness, "alice's presence to leave b", || {
        !b.awareness_states().contains_key(&alice)
    })
    .await;

    // Offline edits travel on the next connection.
    doc_a
        .get_or_insert_map("meta")
        .insert(&mut doc_a.transact_mut(), "title", "made offline");
    a.connect();
    a.wait_synced().await;
    let meta = doc_b.get_or_insert_map("meta");
    let (notify, mut updates) = tokio::sync::watch::channel(());
    doc_b
        .observe_update_v1("title-wait", move |_, _| {
            let _ = notify.send(());
        })
        .unwrap();
    wait_for(&mut updates, "the offline title at b", || {
        let txn = doc_b.transact();
        meta.get(&txn, "title")
            .map(|v| v.to_string(&txn))
            .as_deref()
            == Some("made offline")
    })
    .await;
}

#[wasm_bindgen_test]
async fn leaving_the_page_removes_presence_at_once() {
    let room = unique_room("browser-pagehide");
    let leaving = provider(server_url(), &room, new_doc(), false);
    let staying = provider(server_url(), &room, new_doc(), false);
    leaving.set_local_state(r#"{"user":{"name":"leaving"}}"#);
    leaving.wait_synced().await;
    staying.wait_synced().await;
    let id = leaving.client_id();
    let mut awareness = staying.awareness_changes();
    wait_for(&mut awareness, "the leaver's presence", || {
        staying.awareness_states().contains_key(&id)
    })
    .await;

    // What the browser fires when the tab is closed or navigated away from.
    let window = web_sys::window().unwrap();
    window
        .dispatch_event(&web_sys::Event::new("pagehide").unwrap())
        .unwrap();
    // Well before the 30 s expiry: the leave was announced, not timed out.
    wait_for(&mut awareness, "the leaver's presence to go", || {
        !staying.awareness_states().contains_key(&id)
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_quiet_room_keeps_its_connection() {
    // Nobody has an awareness state, so nothing is renewed: only the provider's probes can
    // show the connection is alive before the liveness timeout.
    let options = ycord_provider::ProviderOptions {
        cross_tab: false,
        // Short enough to be replaced twice during the wait below, long enough that a probe's
        // answer (sent half-way through) arrives in time on a busy 2-core machine: with 1 s,
        // a 500 ms scheduling hiccup was enough to replace the socket.
        liveness_timeout: std::time::Duration::from_millis(3_000),
        ..ycord_provider::ProviderOptions::default()
    };
    let quiet = ycord_provider::WebsocketProvider::new(
        server_url(),
        &unique_room("browser-quiet"),
        new_doc(),
        options,
    );
    quiet.wait_synced().await;
    let mut status = quiet.status_changes();
    status.mark_unchanged();
    // Over two liveness timeouts of silence (this bounds an absence; there is no event to
    // await).
    crate::common::timer(std::time::Duration::from_millis(7_000)).await;
    assert_eq!(quiet.status(), Status::Connected);
    assert!(
        !status.has_changed().unwrap(),
        "the socket was replaced although the server was there"
    );
}
