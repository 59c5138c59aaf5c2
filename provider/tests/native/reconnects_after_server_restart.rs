//! When the server goes away the provider reports it, keeps trying, and on the restarted (empty)
//! server re-syncs and hands its document over, so a new client sees everything.

use crate::common::{provider, snapshot, start_server, synced, unique_room, until};
use ycord_provider::Status;
use yrs::{Text, Transact};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_reconnects_and_restores_the_document_after_a_server_restart() {
    let server = start_server().await;
    let port = server.local_addr().port();
    let room = unique_room("restart");
    let a = provider(&server.ws_url(), &room);
    synced(&a).await;
    let text = a.doc().get_or_insert_text("text");
    text.insert(&mut a.doc().transact_mut(), 0, "survives restarts");

    let mut status = [a.status_changes()];
    let mut synced_changes = [a.synced_changes()];
    server.shutdown().await;
    until("a notices the server is gone", &mut status, || {
        a.status() != Status::Connected
    })
    .await;
    assert!(!a.is_synced());

    let server = ycord_server::Server::bind(ycord_server::Config {
        port,
        ..ycord_server::Config::default()
    })
    .await
    .expect("rebind the same port");
    until("a syncs with the new server", &mut synced_changes, || {
        a.is_synced()
    })
    .await;

    let b = provider(&server.ws_url(), &room);
    synced(&b).await;
    let mut b_updates = [crate::common::update_counter(b.doc(), "test-updates")];
    until("b has a's document", &mut b_updates, || {
        snapshot(b.doc()) == snapshot(a.doc())
    })
    .await;
    server.shutdown().await;
}
