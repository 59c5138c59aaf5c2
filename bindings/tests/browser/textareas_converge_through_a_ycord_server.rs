//! Two `<CollabTextarea>`s bound to two documents, each synced by its own browser provider
//! through a real ycord server (cross-tab sync off), converge on what was typed in both.

use wasm_bindgen_test::*;
use ycord_provider::{new_doc, ProviderOptions, WebsocketProvider};
use yrs::{GetString, Transact};

use crate::common::{mount_textarea, server_url, type_text, unique_room, wait_for_doc};

#[wasm_bindgen_test]
async fn two_textareas_on_one_room_converge() {
    let room = unique_room("bindings-textareas");
    let options = || ProviderOptions {
        cross_tab: false,
        ..ProviderOptions::default()
    };
    let (doc_a, doc_b) = (new_doc(), new_doc());
    let provider_a = WebsocketProvider::new(server_url(), &room, doc_a.clone(), options());
    let provider_b = WebsocketProvider::new(server_url(), &room, doc_b.clone(), options());
    provider_a.wait_synced().await;
    provider_b.wait_synced().await;

    let (text_a, text_b) = (
        doc_a.get_or_insert_text("body"),
        doc_b.get_or_insert_text("body"),
    );
    let a = mount_textarea(&doc_a, &text_a);
    let b = mount_textarea(&doc_b, &text_b);

    a.textarea.set_selection_range(0, 0).unwrap();
    type_text(&a.textarea, "Hello from A 😀");
    wait_for_doc(&doc_b, "A's text at B", || {
        b.textarea.value() == "Hello from A 😀"
    })
    .await;

    // B types at the end while A types at the front, concurrently.
    let end = b.textarea.value().encode_utf16().count() as u32;
    b.textarea.set_selection_range(end, end).unwrap();
    type_text(&b.textarea, " — and B 中文");
    a.textarea.set_selection_range(0, 0).unwrap();
    type_text(&a.textarea, "» ");

    let expected = "» Hello from A 😀 — and B 中文";
    wait_for_doc(&doc_a, "both edits at A", || a.textarea.value() == expected).await;
    wait_for_doc(&doc_b, "both edits at B", || b.textarea.value() == expected).await;
    assert_eq!(text_a.get_string(&doc_a.transact()), expected);
    assert_eq!(text_b.get_string(&doc_b.transact()), expected);
    // B's caret stayed after what B typed, although A's edit landed before it.
    let caret = b.textarea.selection_start().unwrap().unwrap();
    assert_eq!(caret, expected.encode_utf16().count() as u32);
    drop((provider_a, provider_b));
}
