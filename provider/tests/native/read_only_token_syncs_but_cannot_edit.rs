//! A read-only token gets the document and the room's later edits, but the server drops its
//! own edits, and the provider reports the server's permission-denied message.

use std::time::Duration;

use crate::common::{
    append, mint, provider_with, rw_token, start_auth_server, synced, text_of, unique_room, until,
    update_counter,
};
use ycord_provider::ProviderOptions;
use ycord_server::auth::Access;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_client_syncs_but_its_edits_reach_no_one() {
    let server = start_auth_server().await;
    let room = unique_room("read-only");
    let token = |access| ProviderOptions {
        token: Some(mint(&room, access, Duration::from_secs(3600))),
        ..ProviderOptions::default()
    };
    let writer = provider_with(&server.ws_url(), &room, token(Access::ReadWrite));
    synced(&writer).await;
    append(writer.doc(), "written");

    let reader = provider_with(&server.ws_url(), &room, token(Access::ReadOnly));
    let mut reader_updates = [update_counter(reader.doc(), "test-updates")];
    until("the reader gets the document", &mut reader_updates, || {
        text_of(reader.doc()) == "written"
    })
    .await;
    append(reader.doc(), " by the reader");
    let mut denied = [reader.permission_denied_changes()];
    until("the server refuses the reader's edit", &mut denied, || {
        reader.permission_denied().is_some()
    })
    .await;
    assert_eq!(reader.permission_denied().as_deref(), Some("read-only"));

    // The server handles a connection's frames in order, and relays a read-only client's
    // awareness: once the writer sees the reader's state, the edit sent before it was handled.
    reader.set_local_state(r#"{"user":{"name":"reader"}}"#);
    let reader_id = reader.client_id();
    let mut writer_awareness = [writer.awareness_changes()];
    until(
        "the writer sees the reader's presence",
        &mut writer_awareness,
        || writer.awareness_states().contains_key(&reader_id),
    )
    .await;
    assert_eq!(text_of(writer.doc()), "written");

    let late = provider_with(
        &server.ws_url(),
        &room,
        ProviderOptions {
            token: Some(rw_token(&room)),
            ..ProviderOptions::default()
        },
    );
    synced(&late).await;
    assert_eq!(
        text_of(late.doc()),
        "written",
        "the room's document lacks the edit"
    );

    // The writer's later edits still reach the reader.
    append(writer.doc(), "!");
    until(
        "the reader gets the writer's next edit",
        &mut reader_updates,
        // Where the "!" lands beside the reader's own concurrent insert depends on client ids.
        || text_of(reader.doc()).contains('!'),
    )
    .await;
    assert_eq!(text_of(writer.doc()), "written!");
}
