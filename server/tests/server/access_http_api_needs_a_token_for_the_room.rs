//! The HTTP API behind tokens: reading a room needs an `ro` or `rw` token for it, writing and
//! deleting need `rw`, the room list an admin token (`"room": "*"`), the quarantine `rw`;
//! `/health` stays open and `/metrics` is open to loopback unless it asks for the admin token.
//! Every refusal is counted under its endpoint and reason.

use ycord_server::auth::Access;
use ycord_server::{Config, MetricsAccess, Server};
use yrs::Doc;

use crate::access_support::{bearer, request, secret_server, token, upgrade, Answer, SECRET};
use crate::support::{text_of_update, text_update};

async fn get(server: &Server, path: &str, token: Option<&str>) -> Answer {
    send(server, "GET", path, token, b"").await
}

async fn send(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> Answer {
    let authorization = token.map(bearer);
    let headers: Vec<(&str, &str)> = authorization
        .iter()
        .map(|value| ("Authorization", value.as_str()))
        .collect();
    request(server.local_addr(), method, path, &headers, body).await
}

fn assert_refused(answer: &Answer, status: u16, reason: &str, what: &str) {
    assert_eq!(
        (answer.status, answer.reason()),
        (status, reason.to_owned()),
        "{what}: {}",
        answer.text()
    );
    assert_eq!(
        answer.header("www-authenticate"),
        (status == 401).then_some("Bearer"),
        "{what}: WWW-Authenticate on 401 only"
    );
}

/// A room holding `text`, written through the API with an `rw` token.
async fn room_with_text(server: &Server, room: &str, text: &str) {
    let rw = token(room, Access::ReadWrite);
    let posted = send(
        server,
        "POST",
        &format!("/api/rooms/{room}/update"),
        Some(&rw),
        &text_update(&Doc::new(), text),
    )
    .await;
    assert_eq!(posted.status, 200, "{}", posted.text());
}

#[tokio::test]
async fn reading_a_room_needs_an_ro_or_rw_token_for_that_room() {
    let server = secret_server().await;
    room_with_text(&server, "notes", "secret notes").await;
    let path = "/api/rooms/notes";

    assert_refused(
        &get(&server, path, None).await,
        401,
        "missing_token",
        "no token",
    );
    let other = token("other", Access::ReadWrite);
    assert_refused(
        &get(&server, path, Some(&other)).await,
        403,
        "wrong_room",
        "other room",
    );
    let prefix = token("notes/*", Access::ReadOnly);
    assert_refused(
        &get(&server, path, Some(&prefix)).await,
        403,
        "wrong_room",
        "other prefix",
    );
    // The API reads only `Authorization: Bearer`, so tokens stay out of URLs proxies log.
    let ro = token("notes", Access::ReadOnly);
    let in_query = get(&server, &format!("{path}?token={ro}"), None).await;
    assert_refused(
        &in_query,
        401,
        "missing_token",
        "a token in the API's query",
    );

    for access in [Access::ReadOnly, Access::ReadWrite] {
        let token = token("notes", access);
        let state = get(&server, path, Some(&token)).await;
        assert_eq!(state.status, 200, "{access:?}: {}", state.text());
        assert_eq!(text_of_update(&state.body), "secret notes", "{access:?}");
        let json = get(&server, &format!("{path}?format=json"), Some(&token)).await;
        assert_eq!(json.json(), serde_json::json!({ "text": "secret notes" }));
    }
    let family = token("no*", Access::ReadOnly);
    assert_eq!(
        get(&server, path, Some(&family)).await.status,
        200,
        "a prefix token"
    );
}

#[tokio::test]
async fn posting_updates_and_deleting_rooms_need_rw() {
    let server = secret_server().await;
    room_with_text(&server, "doc", "kept").await;
    let ro = token("doc", Access::ReadOnly);
    let rw = token("doc", Access::ReadWrite);
    let update = text_update(&Doc::new(), "intruder ");

    let post = "/api/rooms/doc/update";
    assert_refused(
        &send(&server, "POST", post, None, &update).await,
        401,
        "missing_token",
        "POST without token",
    );
    assert_refused(
        &send(&server, "POST", post, Some(&ro), &update).await,
        403,
        "read_only",
        "POST with ro",
    );
    let elsewhere = token("elsewhere", Access::ReadWrite);
    assert_refused(
        &send(&server, "POST", post, Some(&elsewhere), &update).await,
        403,
        "wrong_room",
        "POST for another room",
    );
    assert_refused(
        &send(&server, "DELETE", "/api/rooms/doc", None, b"").await,
        401,
        "missing_token",
        "DELETE without token",
    );
    assert_refused(
        &send(&server, "DELETE", "/api/rooms/doc", Some(&ro), b"").await,
        403,
        "read_only",
        "DELETE with ro",
    );
    let state = get(&server, "/api/rooms/doc", Some(&ro)).await;
    assert_eq!(
        text_of_update(&state.body),
        "kept",
        "the refused requests changed nothing"
    );

    let posted = send(&server, "POST", post, Some(&rw), &update).await;
    assert_eq!(
        (posted.status, posted.json()),
        (200, serde_json::json!({ "applied": true }))
    );
    let state = get(&server, "/api/rooms/doc", Some(&ro)).await;
    let text = text_of_update(&state.body);
    assert!(
        text.contains("intruder ") && text.contains("kept") && text.len() == 13,
        "both edits, once each: {text:?}"
    );
    let deleted = send(&server, "DELETE", "/api/rooms/doc", Some(&rw), b"").await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(get(&server, "/api/rooms/doc", Some(&ro)).await.status, 404);
}

#[tokio::test]
async fn the_room_list_needs_an_admin_token() {
    let server = secret_server().await;
    room_with_text(&server, "listed", "x").await;

    assert_refused(
        &get(&server, "/api/rooms", None).await,
        401,
        "missing_token",
        "no token",
    );
    for room in ["listed", "list*"] {
        let room_token = token(room, Access::ReadWrite);
        assert_refused(
            &get(&server, "/api/rooms", Some(&room_token)).await,
            403,
            "admin_required",
            room,
        );
    }
    let admin = token("*", Access::ReadOnly);
    let list = get(&server, "/api/rooms", Some(&admin)).await;
    assert_eq!(list.status, 200, "{}", list.text());
    let names: Vec<_> = list.json()["rooms"]
        .as_array()
        .expect("a rooms array")
        .iter()
        .map(|room| room["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["listed"]);
    // The admin token opens every room too.
    let state = get(&server, "/api/rooms/listed", Some(&admin)).await;
    assert_eq!(text_of_update(&state.body), "x");
}

#[tokio::test]
async fn the_quarantine_needs_rw_for_the_room() {
    let server = secret_server().await;
    let ro = token("q", Access::ReadOnly);
    let rw = token("q", Access::ReadWrite);
    let other = token("other", Access::ReadWrite);
    for (method, path) in [
        ("GET", "/api/quarantine/q"),
        ("GET", "/api/quarantine/q?seq=1"),
        ("DELETE", "/api/quarantine/q?seq=1"),
    ] {
        let what = format!("{method} {path}");
        assert_refused(
            &send(&server, method, path, None, b"").await,
            401,
            "missing_token",
            &what,
        );
        assert_refused(
            &send(&server, method, path, Some(&ro), b"").await,
            403,
            "read_only",
            &what,
        );
        assert_refused(
            &send(&server, method, path, Some(&other), b"").await,
            403,
            "wrong_room",
            &what,
        );
    }
    let listed = get(&server, "/api/quarantine/q", Some(&rw)).await;
    assert_eq!(
        (listed.status, listed.json()),
        (200, serde_json::json!({ "room": "q", "quarantined": [] }))
    );
    // Past the token check, the API's own answer: nothing quarantined under that number.
    let missing = send(&server, "DELETE", "/api/quarantine/q?seq=1", Some(&rw), b"").await;
    assert_eq!(missing.status, 404, "{}", missing.text());
}

#[tokio::test]
async fn health_stays_open_and_metrics_is_open_to_loopback_by_default() {
    let server = secret_server().await;
    let health = get(&server, "/health", None).await;
    assert_eq!(health.status, 200, "{}", health.text());
    let metrics = get(&server, "/metrics", None).await;
    assert_eq!(metrics.status, 200, "{}", metrics.text());
    assert!(
        metrics.text().contains("ycord_refusals_total"),
        "{}",
        metrics.text()
    );
}

#[tokio::test]
async fn metrics_behind_the_admin_token_needs_it_even_from_loopback() {
    let server = crate::access_support::auth_server(
        ycord_server::auth::AuthConfig::with_secret(SECRET.to_vec()),
        Config {
            metrics_access: MetricsAccess::AdminToken,
            ..Config::default()
        },
    )
    .await;
    assert_refused(
        &get(&server, "/metrics", None).await,
        401,
        "missing_token",
        "no token",
    );
    let room_token = token("room", Access::ReadWrite);
    assert_refused(
        &get(&server, "/metrics", Some(&room_token)).await,
        403,
        "admin_required",
        "room token",
    );
    let admin = token("*", Access::ReadOnly);
    let metrics = get(&server, "/metrics", Some(&admin)).await;
    assert_eq!(metrics.status, 200, "{}", metrics.text());
    assert!(metrics.text().contains("ycord_refusals_total"));
    assert_eq!(get(&server, "/health", None).await.status, 200);
}

/// The value of the sample `series` (name and labels exactly as written).
fn sample(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .expect("an integer sample")
}

#[tokio::test]
async fn each_refusal_is_counted_under_its_endpoint_and_reason() {
    let server = secret_server().await;
    let wrong_room = token("a", Access::ReadWrite);
    let forged = ycord_server::auth::mint_hs256(
        b"some other secret of at least 32 bytes",
        &ycord_server::auth::Claims::new(
            "b",
            Access::ReadWrite,
            std::time::Duration::from_secs(60),
        ),
    );
    upgrade(&server, "b", &[]).await.refusal();
    upgrade(&server, &format!("b?token={wrong_room}"), &[])
        .await
        .refusal();
    upgrade(&server, &format!("b?token={forged}"), &[])
        .await
        .refusal();
    upgrade(&server, &format!("b?token={forged}"), &[])
        .await
        .refusal();
    let ro = token("b", Access::ReadOnly);
    send(&server, "DELETE", "/api/rooms/b", Some(&ro), b"").await;
    get(&server, "/api/rooms", Some(&ro)).await;
    // Accepted requests count nothing.
    upgrade(&server, &format!("b?token={ro}"), &[])
        .await
        .accepted();
    get(&server, "/api/rooms/b", Some(&ro)).await;

    let text = get(&server, "/metrics", None).await.text();
    let counted = |endpoint: &str, reason: &str| {
        sample(
            &text,
            &format!("ycord_refusals_total{{endpoint=\"{endpoint}\",reason=\"{reason}\"}}"),
        )
    };
    assert_eq!(counted("websocket", "missing_token"), 1);
    assert_eq!(counted("websocket", "wrong_room"), 1);
    assert_eq!(counted("websocket", "bad_signature"), 2);
    assert_eq!(counted("api", "read_only"), 1);
    assert_eq!(counted("api", "admin_required"), 1);
    for (endpoint, reason) in [
        ("websocket", "expired_token"),
        ("websocket", "read_only"),
        ("api", "missing_token"),
        ("api", "wrong_room"),
        ("api", "bad_signature"),
    ] {
        assert_eq!(
            counted(endpoint, reason),
            0,
            "{endpoint} {reason} listed at zero"
        );
    }
    assert_eq!(server.metrics().refusals("websocket", "bad_signature"), 2);
    assert!(
        !text.contains(&forged) && !text.contains(&ro),
        "no token in /metrics"
    );
}
