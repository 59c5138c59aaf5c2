//! Where a WebSocket upgrade carries its token: `?token=` (y-websocket's `params`), an
//! `Authorization: Bearer` header, or a `ycord.token.<jwt>` subprotocol offered next to `ycord`,
//! which the server answers with `ycord` and never the token. Two different tokens are refused
//! as ambiguous; the same token twice is one token.

use ycord_protocol::{Message, SyncMessage};
use ycord_server::auth::Access;

use crate::access_support::{bearer, secret_server, token, upgrade};
use crate::support::RawClient;

/// Waits for the server's step1, which it sends to every connection it accepted into the room.
async fn is_in_the_room(client: &mut RawClient) {
    client
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Step1(_))))
        .await;
}

#[tokio::test]
async fn the_subprotocol_token_is_answered_with_ycord_and_never_the_token() {
    let server = secret_server().await;
    let jwt = token("room", Access::ReadWrite);
    let offered = format!("ycord, ycord.token.{jwt}");
    let (mut client, protocol) = upgrade(&server, "room", &[("Sec-WebSocket-Protocol", &offered)])
        .await
        .accepted();
    assert_eq!(protocol.as_deref(), Some("ycord"));
    is_in_the_room(&mut client).await;

    // The same request with a token for another room is refused before any socket exists.
    let other = format!("ycord, ycord.token.{}", token("other", Access::ReadWrite));
    let refused = upgrade(&server, "room", &[("Sec-WebSocket-Protocol", &other)]).await;
    assert_eq!(refused.refusal(), (403, "wrong_room".to_owned()));
}

#[tokio::test]
async fn a_bearer_header_and_the_query_parameter_each_carry_the_token() {
    let server = secret_server().await;
    let jwt = token("room", Access::ReadWrite);
    let (mut by_header, protocol) = upgrade(&server, "room", &[("Authorization", &bearer(&jwt))])
        .await
        .accepted();
    assert_eq!(protocol, None, "no subprotocol offered, none named");
    is_in_the_room(&mut by_header).await;
    let (mut by_query, _) = upgrade(&server, &format!("room?token={jwt}"), &[])
        .await
        .accepted();
    is_in_the_room(&mut by_query).await;
    let stats = server.stats();
    assert_eq!(
        (stats.connections, stats.rooms),
        (2, 1),
        "both joined \"room\": the query is not part of the room's name"
    );
}

#[tokio::test]
async fn two_different_tokens_are_refused_as_ambiguous_and_the_same_one_twice_is_accepted() {
    let server = secret_server().await;
    let first = token("room", Access::ReadWrite);
    let second = token("room", Access::ReadOnly);
    let header = bearer(&first);
    let subprotocol = format!("ycord, ycord.token.{second}");

    let bearer_header = [("Authorization", header.as_str())];
    let bearer_and_subprotocol = [
        ("Authorization", header.as_str()),
        ("Sec-WebSocket-Protocol", subprotocol.as_str()),
    ];
    type Headers<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&str, String, Headers); 3] = [
        (
            "bearer and query",
            format!("room?token={second}"),
            &bearer_header,
        ),
        (
            "bearer and subprotocol",
            "room".to_owned(),
            &bearer_and_subprotocol,
        ),
        (
            "two query parameters",
            format!("room?token={first}&token={second}"),
            &[],
        ),
    ];
    for (what, path, headers) in cases {
        let refused = upgrade(&server, &path, headers).await;
        assert_eq!(
            refused.refusal(),
            (401, "ambiguous_token".to_owned()),
            "{what}"
        );
    }

    let (mut client, _) = upgrade(
        &server,
        &format!("room?token={first}"),
        &[("Authorization", &header)],
    )
    .await
    .accepted();
    is_in_the_room(&mut client).await;
    assert_eq!(
        server.metrics().refusals("websocket", "ambiguous_token"),
        3,
        "each ambiguous upgrade was counted"
    );
}

#[tokio::test]
async fn a_bearer_header_of_another_scheme_is_malformed() {
    let server = secret_server().await;
    let refused = upgrade(&server, "room", &[("Authorization", "Basic dXNlcjpwYXNz")]).await;
    assert_eq!(refused.refusal(), (401, "malformed_token".to_owned()));
}
