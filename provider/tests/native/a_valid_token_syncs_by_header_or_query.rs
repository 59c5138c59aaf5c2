//! Against a server that requires tokens, a provider with a valid token syncs, whether the
//! token travels as `Authorization: Bearer` ([`ProviderOptions::token`]) or as y-websocket's
//! `?token=` query parameter ([`ProviderOptions::params`]); without one it is unauthorized.

use crate::common::{
    append, provider_with, rw_token, start_auth_server, synced, text_of, unique_room, until,
    update_counter,
};
use ycord_provider::{ProviderOptions, Status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_syncs_and_edits_reach_other_clients() {
    let server = start_auth_server().await;
    let room = unique_room("bearer");
    let with_token = || ProviderOptions {
        token: Some(rw_token(&room)),
        ..ProviderOptions::default()
    };
    let a = provider_with(&server.ws_url(), &room, with_token());
    let b = provider_with(&server.ws_url(), &room, with_token());
    synced(&a).await;
    synced(&b).await;

    let mut b_updates = [update_counter(b.doc(), "test-updates")];
    append(a.doc(), "sent with a bearer token");
    until("b receives a's edit", &mut b_updates, || {
        text_of(b.doc()) == "sent with a bearer token"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_the_query_parameters_syncs_and_stays_out_of_the_url_shown() {
    let server = start_auth_server().await;
    let room = unique_room("query");
    let token = rw_token(&room);
    let a = provider_with(
        &server.ws_url(),
        &room,
        ProviderOptions {
            params: vec![("token".into(), token.clone())],
            ..ProviderOptions::default()
        },
    );
    synced(&a).await;
    assert!(!a.url().contains(&token), "{}", a.url());
    assert!(a.url().ends_with("?token=redacted"), "{}", a.url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_provider_reports_unauthorized_and_stops() {
    let server = start_auth_server().await;
    let room = unique_room("no-token");
    let a = provider_with(&server.ws_url(), &room, ProviderOptions::default());
    let mut status = [a.status_changes()];
    until("the server's 401 is reported", &mut status, || {
        a.status() == Status::Unauthorized
    })
    .await;
    assert!(!a.is_synced());
}
