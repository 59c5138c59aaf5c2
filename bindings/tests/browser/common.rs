//! What the browser tests of the bindings share: mounting a textarea, typing into it like a
//! user, syncing documents, and the server under test.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlTextAreaElement;
use ycord_leptos::CollabTextarea;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, TextRef, Transact, Update};

/// How long a test waits for an outcome before failing.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A mounted `<CollabTextarea>`; unmounts when dropped.
pub struct Mounted {
    pub textarea: HtmlTextAreaElement,
    _handle: Box<dyn std::any::Any>,
}

/// Mounts a `<CollabTextarea>` for `text` in a fresh container of the page.
pub fn mount_textarea(doc: &Doc, text: &TextRef) -> Mounted {
    let document = web_sys::window().unwrap().document().unwrap();
    let container: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&container).unwrap();
    let (doc, text) = (doc.clone(), text.clone());
    let handle = leptos::mount::mount_to(container.clone(), move || {
        view! { <CollabTextarea doc=doc text=text /> }
    });
    let textarea = container
        .query_selector("textarea")
        .unwrap()
        .expect("a textarea was rendered")
        .unchecked_into::<HtmlTextAreaElement>();
    Mounted {
        textarea,
        _handle: Box::new(handle),
    }
}

/// Replaces the selection (UTF-16 offsets) with `typed` and fires `input`, as the browser
/// does when a user types or pastes.
pub fn type_text(textarea: &HtmlTextAreaElement, typed: &str) {
    replace_selection(textarea, typed);
    fire_input(textarea);
}

/// Replaces the selection with `typed` and puts the caret after it, firing nothing.
pub fn replace_selection(textarea: &HtmlTextAreaElement, typed: &str) {
    let value: Vec<u16> = textarea.value().encode_utf16().collect();
    let start = textarea.selection_start().unwrap().unwrap() as usize;
    let end = textarea.selection_end().unwrap().unwrap() as usize;
    let mut next: Vec<u16> = value[..start].to_vec();
    next.extend(typed.encode_utf16());
    next.extend_from_slice(&value[end..]);
    textarea.set_value(&String::from_utf16(&next).unwrap());
    let caret = (start + typed.encode_utf16().count()) as u32;
    textarea.set_selection_range(caret, caret).unwrap();
}

/// Deletes `units` UTF-16 code units before the caret (Backspace) and fires `input`.
pub fn backspace(textarea: &HtmlTextAreaElement, units: usize) {
    let value: Vec<u16> = textarea.value().encode_utf16().collect();
    let caret = textarea.selection_start().unwrap().unwrap() as usize;
    let mut next: Vec<u16> = value[..caret - units].to_vec();
    next.extend_from_slice(&value[caret..]);
    textarea.set_value(&String::from_utf16(&next).unwrap());
    let caret = (caret - units) as u32;
    textarea.set_selection_range(caret, caret).unwrap();
    fire_input(textarea);
}

fn fire_input(textarea: &HtmlTextAreaElement) {
    fire(textarea, "input");
}

fn fire(textarea: &HtmlTextAreaElement, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(kind, &init).unwrap();
    textarea.dispatch_event(&event).unwrap();
}

/// Fires `compositionstart`, as the browser does when an input method begins composing.
pub fn start_composition(textarea: &HtmlTextAreaElement) {
    fire(textarea, "compositionstart");
}

/// Replaces UTF-16 units `start..end` with the composition's current text, puts the caret
/// after it and fires an `input` with `isComposing`, as the browser does at each step of a
/// composition.
pub fn compose(textarea: &HtmlTextAreaElement, start: u32, end: u32, composed: &str) {
    textarea.set_selection_range(start, end).unwrap();
    replace_selection(textarea, composed);
    fire_input_event(textarea, true);
}

/// Fires an `InputEvent`, part of a composition or not.
pub fn fire_input_event(textarea: &HtmlTextAreaElement, is_composing: bool) {
    let init = web_sys::InputEventInit::new();
    init.set_bubbles(true);
    init.set_is_composing(is_composing);
    let event = web_sys::InputEvent::new_with_event_init_dict("input", &init).unwrap();
    textarea.dispatch_event(&event).unwrap();
}

/// Fires `compositionend`: the input method committed its text.
pub fn end_composition(textarea: &HtmlTextAreaElement) {
    fire(textarea, "compositionend");
}

/// The characters of `value` from UTF-16 offset `start` to `end`.
pub fn slice_utf16(value: &str, start: u32, end: u32) -> String {
    let units: Vec<u16> = value.encode_utf16().collect();
    String::from_utf16(&units[start as usize..end as usize]).unwrap()
}

/// Applies to `to` what `from` has that `to` lacks, with a remote origin.
pub fn sync(from: &Doc, to: &Doc) {
    let sv = to.transact().state_vector();
    let update = from.transact().encode_state_as_update_v1(&sv);
    let mut txn = to.transact_mut_with("remote");
    txn.apply_update(Update::decode_v1(&update).unwrap())
        .unwrap();
}

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

/// A room name no other test uses.
pub fn unique_room(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e15) as u64)
}

/// Resolves after `duration`; used only to bound waits, never to wait for an event.
pub async fn timer(duration: Duration) {
    let ms = duration.as_millis() as i32;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// Waits until `condition` holds, re-checking after every update of `doc`, at most
/// [`PATIENCE`]; panics with `what` otherwise.
pub async fn wait_for_doc(doc: &Doc, what: &str, mut condition: impl FnMut() -> bool) {
    let (notify, mut changes) = tokio::sync::watch::channel(());
    let key = format!("test-wait-{}", (js_sys::Math::random() * 1e15) as u64);
    doc.observe_after_transaction(key.clone(), move |_| {
        let _ = notify.send(());
    })
    .unwrap();
    let deadline = js_sys::Date::now() + PATIENCE.as_millis() as f64;
    while !condition() {
        let left = deadline - js_sys::Date::now();
        assert!(left > 0.0, "timed out waiting for {what}");
        tokio::select! {
            result = changes.changed() => result.unwrap(),
            () = timer(Duration::from_millis(left as u64)) => {}
        }
    }
    doc.unobserve_after_transaction(key).unwrap();
}

/// A build-time variable the wasm suite sets, or a panic saying how to get it set.
fn suite_variable(value: Option<&'static str>, name: &str) -> &'static str {
    match value {
        Some(value) if !value.is_empty() => value,
        _ => panic!(
            "{name} was not set when this test was built: run the browser tests with \
             `cargo xtask test --suite wasm`, which starts an auth-enabled ycord server, mints \
             tokens for it and sets it"
        ),
    }
}

/// The auth-enabled ycord server the test harness started (`YCORD_TEST_AUTH_WS_URL`).
pub fn auth_server_url() -> &'static str {
    suite_variable(
        option_env!("YCORD_TEST_AUTH_WS_URL"),
        "YCORD_TEST_AUTH_WS_URL",
    )
}

/// The rooms the suite's tokens cover: each test appends its own suffix (the tokens' room
/// claim is this prefix followed by `*`).
pub const AUTH_ROOM_PREFIX: &str = "browser-auth-";

/// A read-write token for every room starting with [`AUTH_ROOM_PREFIX`].
pub fn rw_token() -> &'static str {
    suite_variable(option_env!("YCORD_TEST_TOKEN_RW"), "YCORD_TEST_TOKEN_RW")
}

/// A read-only token for every room starting with [`AUTH_ROOM_PREFIX`].
pub fn ro_token() -> &'static str {
    suite_variable(option_env!("YCORD_TEST_TOKEN_RO"), "YCORD_TEST_TOKEN_RO")
}

/// A read-write token for a room no test uses: the server answers it with 403.
pub fn other_room_token() -> &'static str {
    suite_variable(
        option_env!("YCORD_TEST_TOKEN_OTHER_ROOM"),
        "YCORD_TEST_TOKEN_OTHER_ROOM",
    )
}

/// A room the suite's tokens cover, unused by other tests.
pub fn auth_room(tag: &str) -> String {
    unique_room(&format!("{AUTH_ROOM_PREFIX}{tag}"))
}

/// Waits until the value in `changes` satisfies `condition`, at most [`PATIENCE`]; panics
/// with `what` otherwise.
pub async fn wait_for_value<T>(
    changes: &mut tokio::sync::watch::Receiver<T>,
    what: &str,
    condition: impl FnMut(&T) -> bool,
) {
    tokio::select! {
        result = changes.wait_for(condition) => {
            result.expect("sender dropped");
        }
        () = timer(PATIENCE) => panic!("timed out waiting for {what}"),
    }
}
