//! Two providers of one origin whose server is unreachable still converge, over the cross-tab
//! channel alone, and see each other's presence; neither claims to be synced.

use crate::common::{append_text, provider, unique_room, wait_for, wait_for_text, UNREACHABLE_URL};
use wasm_bindgen_test::*;
use ycord_provider::new_doc;
use yrs::{GetString, Transact};

#[wasm_bindgen_test]
async fn tabs_sync_over_the_channel_while_the_server_is_unreachable() {
    let room = unique_room("tabs-offline");
    let (doc_a, doc_b) = (new_doc(), new_doc());
    append_text(&doc_a, "content", "from a before b opened; ");
    let a = provider(UNREACHABLE_URL, &room, doc_a.clone(), true);
    let b = provider(UNREACHABLE_URL, &room, doc_b.clone(), true);
    assert_eq!(a.channel_name(), format!("{UNREACHABLE_URL}/{room}"));

    // b's greeting (step1) makes a answer with what b lacks.
    wait_for_text(&doc_b, "content", "from a before b opened; ").await;
    append_text(&doc_b, "content", "from b; ");
    append_text(&doc_a, "other", "a's second text");
    wait_for_text(&doc_a, "content", "from a before b opened; from b; ").await;
    wait_for_text(&doc_b, "other", "a's second text").await;

    b.set_local_state(r#"{"user":{"name":"bob"}}"#);
    let mut awareness = a.awareness_changes();
    let bob = b.client_id();
    wait_for(&mut awareness, "bob's presence at a", || {
        a.awareness_states().contains_key(&bob)
    })
    .await;
    assert!(
        !a.is_synced() && !b.is_synced(),
        "only the server can sync a provider"
    );

    // A provider with cross-tab sync off hears nothing.
    let loner_doc = new_doc();
    let loner = provider(UNREACHABLE_URL, &room, loner_doc.clone(), false);
    append_text(&doc_a, "content", "after the loner joined");
    wait_for_text(
        &doc_b,
        "content",
        "from a before b opened; from b; after the loner joined",
    )
    .await;
    assert!(loner.awareness_states().is_empty());
    let loner_text = loner_doc.get_or_insert_text("content");
    assert_eq!(loner_text.get_string(&loner_doc.transact()), "");
}
