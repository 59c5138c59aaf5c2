//! Every abuse limit refuses exactly what it says, with its status or close code, and nothing
//! else: the room's other clients see no change in their document and keep syncing.

use std::time::Duration;

use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use ycord_protocol::{encode, Message as YMessage, SyncMessage};
use ycord_server::{Config, Limits, Server};
use yrs::Doc;

use crate::support::{http, server, text_update, RawClient};

fn limited(limits: Limits) -> Config {
    Config {
        port: 0,
        limits,
        ..Config::default()
    }
}

/// The HTTP status an upgrade to `room` is refused with, and the JSON body's `reason`.
async fn refused_upgrade(server: &Server, room: &str, origin: Option<&str>) -> (u16, String) {
    let mut request = format!("{}/{room}", server.ws_url())
        .into_client_request()
        .unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Err(WsError::Http(response)) => {
            let body: serde_json::Value =
                serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
            (
                response.status().as_u16(),
                body["reason"].as_str().unwrap().to_owned(),
            )
        }
        Ok(_) => panic!("the upgrade was accepted"),
        Err(err) => panic!("{err}"),
    }
}

/// A writer in `room` whose edit reaches a bystander, so the room is known to work.
async fn bystander_with_content(server: &Server, room: &str, writer: &Doc) -> RawClient {
    let mut bystander = RawClient::connect(server, room).await;
    bystander
        .send(encode::sync_update(&text_update(writer, "kept")))
        .await;
    bystander
        .frame_where(|m| matches!(m, YMessage::Sync(SyncMessage::Update(_))))
        .await;
    bystander
}

/// Another client's edit still reaches the bystander, and the room holds exactly
/// `expected`.
async fn room_still_syncs(
    server: &Server,
    room: &str,
    bystander: &mut RawClient,
    writer: &Doc,
    expected: &str,
) {
    let mut other = RawClient::connect(server, room).await;
    other
        .send(encode::sync_update(&text_update(writer, ">")))
        .await;
    bystander
        .frame_where(|m| matches!(m, YMessage::Sync(SyncMessage::Update(_))))
        .await;
    assert_eq!(other.fetch_text().await, expected);
}

#[tokio::test]
async fn connections_past_the_per_address_limit_are_refused_with_429() {
    let server = server(limited(Limits {
        max_connections_per_ip: 2,
        exempt_loopback_from_ip_limit: false,
        ..Limits::default()
    }))
    .await;
    let _a = RawClient::connect(&server, "a").await;
    let _b = RawClient::connect(&server, "b").await;
    let (status, reason) = refused_upgrade(&server, "c", None).await;
    assert_eq!(
        (status, reason.as_str()),
        (429, "too_many_connections_from_address")
    );
    // A closed connection gives its place back.
    drop(_a);
    tokio::time::timeout(Duration::from_secs(5), async {
        while server.stats().connections > 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let _c = RawClient::connect(&server, "c").await;
    server.shutdown().await;
}

/// Opens a WebSocket to `room` as if through a proxy that says the client is `forwarded_for`.
async fn upgrade_forwarded(
    server: &Server,
    room: &str,
    forwarded_for: &str,
) -> Result<impl Sized, (u16, String)> {
    let mut request = format!("{}/{room}", server.ws_url())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("x-forwarded-for", forwarded_for.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(WsError::Http(response)) => {
            let body: serde_json::Value =
                serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
            Err((
                response.status().as_u16(),
                body["reason"].as_str().unwrap().to_owned(),
            ))
        }
        Err(err) => panic!("{err}"),
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_address_limit() {
    let server = server(limited(Limits {
        max_connections_per_ip: 1,
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Limits::default()
    }))
    .await;
    let _first = upgrade_forwarded(&server, "a", "203.0.113.9")
        .await
        .unwrap();
    let refused = upgrade_forwarded(&server, "a", "198.51.100.1, 203.0.113.9").await;
    assert_eq!(
        refused.err(),
        Some((429, "too_many_connections_from_address".to_owned()))
    );
    let _other = upgrade_forwarded(&server, "a", "203.0.113.10")
        .await
        .unwrap();
    // The proxy's loopback address does not make a forwarded client local.
    let (status, _) = crate::support::http_with_headers(
        server.local_addr(),
        "GET",
        "/metrics",
        &[("x-forwarded-for", "203.0.113.9")],
    )
    .await;
    assert_eq!(status, 403);
    server.shutdown().await;
}

#[tokio::test]
async fn an_untrusted_peer_cannot_choose_its_address_with_x_forwarded_for() {
    let server = server(limited(Limits {
        max_connections_per_ip: 1,
        exempt_loopback_from_ip_limit: false,
        ..Limits::default()
    }))
    .await;
    let _first = upgrade_forwarded(&server, "a", "203.0.113.9")
        .await
        .unwrap();
    let refused = upgrade_forwarded(&server, "a", "203.0.113.10").await;
    assert_eq!(
        refused.err(),
        Some((429, "too_many_connections_from_address".to_owned()))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn loopback_clients_are_exempt_from_the_address_limit_by_default() {
    let server = server(limited(Limits {
        max_connections_per_ip: 1,
        ..Limits::default()
    }))
    .await;
    let _a = RawClient::connect(&server, "a").await;
    let _b = RawClient::connect(&server, "a").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_full_room_is_refused_with_503_and_its_clients_keep_syncing() {
    let server = server(limited(Limits {
        max_connections_per_room: 2,
        ..Limits::default()
    }))
    .await;
    let writer = Doc::new();
    let mut bystander = bystander_with_content(&server, "room", &writer).await;
    let mut second = RawClient::connect(&server, "room").await;
    let (status, reason) = refused_upgrade(&server, "room", None).await;
    assert_eq!((status, reason.as_str()), (503, "room_full"));
    // Another room is not full.
    let _elsewhere = RawClient::connect(&server, "elsewhere").await;
    second
        .send(encode::sync_update(&text_update(&writer, ">")))
        .await;
    bystander
        .frame_where(|m| matches!(m, YMessage::Sync(SyncMessage::Update(_))))
        .await;
    assert_eq!(second.fetch_text().await, ">kept");
    server.shutdown().await;
}

#[tokio::test]
async fn a_full_server_is_refused_with_503() {
    let server = server(limited(Limits {
        max_connections: 1,
        ..Limits::default()
    }))
    .await;
    let _a = RawClient::connect(&server, "a").await;
    let (status, reason) = refused_upgrade(&server, "b", None).await;
    assert_eq!((status, reason.as_str()), (503, "server_full"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_browser_origin_not_listed_is_refused_with_403() {
    let server = server(limited(Limits {
        allowed_origins: vec!["https://app.example.com".into()],
        ..Limits::default()
    }))
    .await;
    let (status, reason) = refused_upgrade(&server, "a", Some("https://evil.example")).await;
    assert_eq!((status, reason.as_str()), (403, "origin_not_allowed"));
    // The listed origin, and a native client without Origin, get in.
    let mut request = format!("{}/a", server.ws_url())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "https://APP.example.com".parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap();
    let _native = RawClient::connect(&server, "a").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_over_its_message_rate_is_closed_with_1008_and_the_room_is_unaffected() {
    let server = server(limited(Limits {
        messages_per_second: 5,
        message_burst: 20,
        ..Limits::default()
    }))
    .await;
    let writer = Doc::new();
    let mut bystander = bystander_with_content(&server, "room", &writer).await;
    let mut flooder = RawClient::connect(&server, "room").await;
    for _ in 0..50 {
        let step1 = encode::sync_step1(&yrs::StateVector::default());
        if flooder.ws.send(Message::binary(step1)).await.is_err() {
            break;
        }
    }
    let (code, reason) = flooder.close_code().await;
    assert_eq!(
        (code, reason.as_str()),
        (1008, "over 5 messages per second")
    );
    room_still_syncs(&server, "room", &mut bystander, &writer, ">kept").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_over_its_byte_rate_is_closed_with_1008_and_the_room_is_unaffected() {
    // The byte burst is never below the largest message, so the message limit is lowered too.
    let server = server(Config {
        max_message_size: 4 * 1024,
        ..limited(Limits {
            bytes_per_second: 1024,
            byte_burst: 4 * 1024,
            ..Limits::default()
        })
    })
    .await;
    let writer = Doc::new();
    let mut bystander = bystander_with_content(&server, "room", &writer).await;
    let mut flooder = RawClient::connect(&server, "room").await;
    // A step1 naming 500 clients is about 2 KiB and changes no document.
    let mut wide = yrs::StateVector::default();
    for client in 1_000_000..1_000_500u64 {
        wide.set_max(yrs::block::ClientID::new(client), 1);
    }
    let step1 = encode::sync_step1(&wide);
    assert!(step1.len() > 1024, "{}", step1.len());
    for _ in 0..20 {
        if flooder
            .ws
            .send(Message::binary(step1.clone()))
            .await
            .is_err()
        {
            break;
        }
    }
    let (code, reason) = flooder.close_code().await;
    assert_eq!(
        (code, reason.as_str()),
        (1008, "over 1024 bytes per second")
    );
    room_still_syncs(&server, "room", &mut bystander, &writer, ">kept").await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_update_past_the_document_limit_is_refused_and_the_room_is_unaffected() {
    let server = server(limited(Limits {
        max_document_size: 4 * 1024,
        ..Limits::default()
    }))
    .await;
    let writer = Doc::new();
    let mut bystander = bystander_with_content(&server, "room", &writer).await;
    let mut offender = RawClient::connect(&server, "room").await;
    offender
        .send(encode::sync_update(&text_update(
            &Doc::new(),
            &"x".repeat(8 * 1024),
        )))
        .await;
    let (code, reason) = offender.close_code().await;
    assert_eq!(
        code,
        ycord_server::CloseReason::DocumentTooLarge { limit: 0 }.code()
    );
    assert!(reason.contains("4096 bytes"), "{reason}");
    room_still_syncs(&server, "room", &mut bystander, &writer, ">kept").await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_http_update_past_the_document_limit_gets_413_and_changes_nothing() {
    let server = server(limited(Limits {
        max_document_size: 4 * 1024,
        ..Limits::default()
    }))
    .await;
    let writer = Doc::new();
    let mut bystander = bystander_with_content(&server, "room", &writer).await;
    let big = text_update(&Doc::new(), &"x".repeat(8 * 1024));
    let (status, body) = http(server.local_addr(), "POST", "/api/rooms/room/update", &big).await;
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    room_still_syncs(&server, "room", &mut bystander, &writer, ">kept").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_does_not_finish_its_request_headers_is_dropped() {
    let server = server(limited(Limits {
        handshake_timeout: Duration::from_millis(200),
        ..Limits::default()
    }))
    .await;
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    stream
        .write_all(b"GET /room HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
        .await
        .expect("the connection was not dropped");
    assert_eq!((read.unwrap(), rest.len()), (0, 0));
    server.shutdown().await;
}

#[tokio::test]
async fn request_headers_over_the_limit_get_431() {
    let server = server(limited(Limits {
        max_header_bytes: 4 * 1024,
        ..Limits::default()
    }))
    .await;
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let request = format!(
        "GET /health HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(8 * 1024)
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    assert!(
        response.starts_with(b"HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    server.shutdown().await;
}
