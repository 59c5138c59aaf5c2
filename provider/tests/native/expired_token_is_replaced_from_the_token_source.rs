//! When the server closes a connection with 4401 because its token expired, a provider with a
//! token source fetches a fresh token, reconnects with it and keeps syncing; one without a
//! source stops and reports [`Status::Unauthorized`].

use std::time::Duration;

use crate::common::{
    append, counting_source, mint, provider_with, rw_token, start_auth_server, synced, text_of,
    unique_room, until, update_counter,
};
use ycord_provider::{ProviderOptions, Status};
use ycord_server::auth::Access;

/// Long enough to sync first, short enough for a test.
const SHORT_TTL: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_replaced_and_edits_keep_flowing() {
    let server = start_auth_server().await;
    let room = unique_room("expiry");
    let source_room = room.clone();
    let (source, mut calls) = counting_source(move || rw_token(&source_room));
    let a = provider_with(
        &server.ws_url(),
        &room,
        ProviderOptions {
            token: Some(mint(&room, Access::ReadWrite, SHORT_TTL)),
            token_source: Some(source),
            ..ProviderOptions::default()
        },
    );
    synced(&a).await;
    assert_eq!(*calls.borrow(), 0, "the given token is used first");

    let mut called = [calls.clone()];
    until(
        "the expiry makes a ask its token source",
        &mut called,
        || *calls.borrow() >= 1,
    )
    .await;
    // The source is asked after the old socket closed, so syncing now means a new socket.
    let mut a_synced = [a.synced_changes()];
    until("a syncs again with the fresh token", &mut a_synced, || {
        a.is_synced()
    })
    .await;

    let b = provider_with(
        &server.ws_url(),
        &room,
        ProviderOptions {
            token: Some(rw_token(&room)),
            ..ProviderOptions::default()
        },
    );
    synced(&b).await;
    let mut b_updates = [update_counter(b.doc(), "test-updates")];
    append(a.doc(), "after the refresh");
    until("b receives a's edit", &mut b_updates, || {
        text_of(b.doc()) == "after the refresh"
    })
    .await;
    let mut a_updates = [update_counter(a.doc(), "test-updates")];
    append(b.doc(), ", and back");
    until("a receives b's edit", &mut a_updates, || {
        text_of(a.doc()) == "after the refresh, and back"
    })
    .await;
    assert_eq!(
        *calls.borrow_and_update(),
        1,
        "the fresh token was accepted the first time"
    );
    assert_eq!(a.status(), Status::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_without_a_source_stops_as_unauthorized() {
    let server = start_auth_server().await;
    let room = unique_room("expiry-no-source");
    let a = provider_with(
        &server.ws_url(),
        &room,
        ProviderOptions {
            token: Some(mint(&room, Access::ReadWrite, SHORT_TTL)),
            ..ProviderOptions::default()
        },
    );
    synced(&a).await;
    let mut status = [a.status_changes()];
    until("the 4401 close is reported", &mut status, || {
        a.status() == Status::Unauthorized
    })
    .await;
    assert!(!a.is_synced());
}
