//! What the browser tests of the provider share: the server under test, waiting for a
//! document to reach a state, and documents with fixed content.

use std::time::Duration;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use ycord_provider::{ProviderOptions, WebsocketProvider};
use yrs::{Doc, GetString, Text, Transact};

/// How long a test waits for an outcome before failing.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The ycord server the test harness started (`cargo xtask test` sets `YCORD_TEST_WS_URL`
/// when it builds the browser tests).
pub fn server_url() -> &'static str {
    match option_env!("YCORD_TEST_WS_URL") {
        Some(url) => url,
        None => panic!(
            "YCORD_TEST_WS_URL was not set when this test was built: run the browser tests \
             with `cargo xtask test --suite wasm`, which starts a ycord server and sets it"
        ),
    }
}

/// A WebSocket URL where nothing listens: port 9 of loopback (the discard port) refuses.
pub const UNREACHABLE_URL: &str = "ws://127.0.0.1:9";

/// A room name no other test uses.
pub fn unique_room(prefix: &str) -> String {
    format!("{prefix}-{}", fastrand_like())
}

fn fastrand_like() -> u64 {
    (js_sys::Math::random() * 1e15) as u64
}

/// Resolves after `duration`; used only to bound waits, never to wait for an event.
pub async fn timer(duration: Duration) {
    let ms = duration.as_millis() as i32;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .expect("setTimeout")
            .unchecked_into::<js_sys::Function>();
        set_timeout
            .call2(&global, &resolve, &JsValue::from(ms))
            .expect("setTimeout call");
    });
    JsFuture::from(promise).await.expect("timer");
}

/// Waits until `condition` holds, re-checking whenever the watched receiver changes, at most
/// [`PATIENCE`]; panics with `what` otherwise.
pub async fn wait_for<T>(
    changes: &mut tokio::sync::watch::Receiver<T>,
    what: &str,
    mut condition: impl FnMut() -> bool,
) {
    let deadline = js_sys::Date::now() + PATIENCE.as_millis() as f64;
    while !condition() {
        let left = deadline - js_sys::Date::now();
        assert!(left > 0.0, "timed out waiting for {what}");
        let changed = changes.changed();
        let expired = timer(Duration::from_millis(left as u64));
        tokio::select! {
            result = changed => result.expect("provider dropped"),
            () = expired => {}
        }
    }
}

/// Waits until `doc`'s text `name` equals `expected`, re-checking after every update of the
/// document.
pub async fn wait_for_text(doc: &Doc, name: &str, expected: &str) {
    let (notify, mut changes) = tokio::sync::watch::channel(());
    let key = format!("test-wait-{}", fastrand_like());
    doc.observe_update_v1(key.clone(), move |_, _| {
        let _ = notify.send(());
    })
    .expect("observe");
    let text = doc.get_or_insert_text(name);
    let read = || text.get_string(&doc.transact());
    wait_for(
        &mut changes,
        &format!("text {name:?} to become {expected:?}"),
        || read() == expected,
    )
    .await;
    doc.unobserve_update_v1(key).expect("unobserve");
}

/// Inserts `content` at the end of text `name` in one transaction.
pub fn append_text(doc: &Doc, name: &str, content: &str) {
    let text = doc.get_or_insert_text(name);
    let mut txn = doc.transact_mut();
    let end = text.len(&txn);
    text.insert(&mut txn, end, content);
}

/// A provider with cross-tab sync switched on or off.
pub fn provider(url: &str, room: &str, doc: Doc, cross_tab: bool) -> WebsocketProvider {
    let options = ProviderOptions {
        cross_tab,
        ..ProviderOptions::default()
    };
    WebsocketProvider::new(url, room, doc, options)
}
