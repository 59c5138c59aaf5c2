//! Edits made while a provider is disconnected reach the room once it reconnects, and the
//! room's edits made meanwhile reach it: the step1/step2 exchange runs both ways.

use crate::common::{provider, snapshot, start_server, synced, unique_room, until, update_counter};
use ycord_provider::Status;
use yrs::{GetString, Text, Transact};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_are_delivered_on_reconnect() {
    let server = start_server().await;
    let room = unique_room("offline");
    let a = provider(&server.ws_url(), &room);
    let b = provider(&server.ws_url(), &room);
    let mut changes = [
        update_counter(a.doc(), "test-updates"),
        update_counter(b.doc(), "test-updates"),
    ];
    synced(&a).await;
    synced(&b).await;

    a.disconnect().await;
    assert_eq!(a.status(), Status::Disconnected);
    assert!(!a.is_synced());
    let a_text = a.doc().get_or_insert_text("text");
    a_text.insert(&mut a.doc().transact_mut(), 0, "written offline");
    let b_text = b.doc().get_or_insert_text("text");
    b_text.insert(&mut b.doc().transact_mut(), 0, "written online. ");

    a.connect();
    until("both replicas hold both edits", &mut changes, || {
        let a_now = a_text.get_string(&a.doc().transact());
        let b_now = b_text.get_string(&b.doc().transact());
        a_now == b_now && a_now.contains("written offline") && a_now.contains("written online")
    })
    .await;
    assert_eq!(snapshot(a.doc()), snapshot(b.doc()));
    assert_eq!(a.status(), Status::Connected);
    server.shutdown().await;
}
