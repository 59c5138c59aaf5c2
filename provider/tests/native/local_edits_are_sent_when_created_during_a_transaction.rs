//! A provider created while the application holds a transaction of the document neither
//! blocks nor loses its observer: the edit of that transaction and every later local edit
//! reach the room.

use ycord_provider::{new_doc, ProviderOptions, WebsocketProvider};
use yrs::{GetString, Text, Transact};

use crate::common::{provider, start_server, synced, unique_room, until, update_counter};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_created_inside_a_transaction_still_sends_local_edits() {
    let server = start_server().await;
    let room = unique_room("in-transaction");
    let doc = new_doc();
    let text = doc.get_or_insert_text("text");
    let a = {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "in the transaction; ");
        WebsocketProvider::new(
            &server.ws_url(),
            &room,
            doc.clone(),
            ProviderOptions::default(),
        )
    };
    synced(&a).await;

    // Sent only by the update observer: no reconnect or resync would carry it meanwhile.
    text.insert(&mut doc.transact_mut(), 20, "after sync");
    let b = provider(&server.ws_url(), &room);
    let b_text = b.doc().get_or_insert_text("text");
    let mut b_updates = [update_counter(b.doc(), "test-updates")];
    until("b has both of a's edits", &mut b_updates, || {
        b_text.get_string(&b.doc().transact()) == "in the transaction; after sync"
    })
    .await;

    // And an edit after b joined travels live.
    text.insert(&mut doc.transact_mut(), 0, "live: ");
    until("b has a's live edit", &mut b_updates, || {
        b_text.get_string(&b.doc().transact()) == "live: in the transaction; after sync"
    })
    .await;
    drop(a);
    server.shutdown().await;
}
