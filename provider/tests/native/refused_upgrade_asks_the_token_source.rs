//! An upgrade refused with HTTP 401 (bad token) or 403 (a token for another room) makes the
//! provider ask its token source and connect with the fresh token; without a source it stops
//! and reports [`Status::Unauthorized`].

use std::time::Duration;

use crate::common::{
    counting_source, provider_with, rw_token, start_auth_server, synced, unique_room, until,
};
use ycord_provider::{ProviderOptions, Status};
use ycord_server::auth::{mint_hs256, Access, Claims};

/// A token the server cannot verify: signed with another secret.
fn forged_token(room: &str) -> String {
    let claims = Claims::new(room, Access::ReadWrite, Duration::from_secs(3600));
    mint_hs256(b"not-the-server-secret-but-32-bytes-long", &claims)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refused_with_401_is_replaced_from_the_source() {
    syncs_after_one_call_of_the_source("refused-401", |room| Some(forged_token(room))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_room_refused_with_403_is_replaced_from_the_source() {
    syncs_after_one_call_of_the_source("refused-403", |_| Some(rw_token("some-other-room"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_first_connection_waits_for_the_source() {
    syncs_after_one_call_of_the_source("source-only", |_| None).await;
}

/// A provider for a fresh room whose first token is `first_token(room)`, with a source of
/// valid tokens: it syncs, having asked the source exactly once.
async fn syncs_after_one_call_of_the_source(prefix: &str, first_token: fn(&str) -> Option<String>) {
    let server = start_auth_server().await;
    let room = unique_room(prefix);
    let source_room = room.clone();
    let (source, calls) = counting_source(move || rw_token(&source_room));
    let a = provider_with(
        &server.ws_url(),
        &room,
        ProviderOptions {
            token: first_token(&room),
            token_source: Some(source),
            ..ProviderOptions::default()
        },
    );
    synced(&a).await;
    assert_eq!(*calls.borrow(), 1, "one fresh token, asked for once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_without_a_source_stops_as_unauthorized() {
    let server = start_auth_server().await;
    let room = unique_room("refused-no-source");
    let a = provider_with(
        &server.ws_url(),
        &room,
        ProviderOptions {
            token: Some(forged_token(&room)),
            ..ProviderOptions::default()
        },
    );
    let mut status = [a.status_changes()];
    until("the 401 is reported", &mut status, || {
        a.status() == Status::Unauthorized
    })
    .await;
}
