//! `/metrics` counts what really happened: a stored and echoed update, the frames queued, the
//! connection closed for a refused frame (under its reason), the rooms and connections open.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ycord_protocol::{encode, Message, SyncMessage};
use ycord_server::{Config, Server};
use yrs::Doc;

use crate::support::{server, text_update, RawClient, TIMEOUT};

/// The `Content-Type` header and body of `GET /metrics`.
async fn scrape(server: &Server) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response");
    let (head, body) = response.split_once("\r\n\r\n").expect("a header block");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let content_type = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .expect("a content type");
    (content_type, body.to_owned())
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
async fn metrics_count_an_update_a_refused_frame_and_the_open_connections() {
    let server = server(Config::default()).await;
    let mut writer = RawClient::connect(&server, "room").await;
    writer
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Step1(_))))
        .await;
    writer
        .send(encode::sync_update(&text_update(&Doc::new(), "stored")))
        .await;
    writer
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
        .await;

    let mut offender = RawClient::connect(&server, "room").await;
    offender
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Step1(_))))
        .await;
    offender
        .send(encode::sync_update(&[0xde, 0xad, 0xbe, 0xef]))
        .await;
    assert_eq!(offender.close_code().await.0, 1007);
    tokio::time::timeout(TIMEOUT, async {
        while server.stats().connections != 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the offender's connection ends");

    let (content_type, text) = scrape(&server).await;
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert_eq!(sample(&text, "ycord_rooms"), 1);
    assert_eq!(sample(&text, "ycord_connections"), 1);
    assert_eq!(sample(&text, "ycord_updates_received_total"), 1);
    assert_eq!(sample(&text, "ycord_updates_stored_total"), 1);
    assert_eq!(sample(&text, "ycord_store_commits_total"), 1);
    assert_eq!(sample(&text, "ycord_store_failures_total"), 0);
    // Two greetings (step1) and the echo of the update to its writer.
    assert_eq!(sample(&text, "ycord_frames_sent_total"), 3);
    assert_eq!(
        sample(
            &text,
            r#"ycord_connections_closed_total{reason="invalid_update"}"#
        ),
        1
    );
    for reason in ycord_server::CloseReason::every_kind() {
        if reason.label() != "invalid_update" {
            let series = format!(
                r#"ycord_connections_closed_total{{reason="{}"}}"#,
                reason.label()
            );
            assert_eq!(sample(&text, &series), 0, "{series}");
        }
    }
    assert_eq!(sample(&text, "ycord_compactions_total"), 0);
    assert_eq!(sample(&text, "ycord_quarantined_updates_total"), 0);
    assert_eq!(sample(&text, "ycord_room_reloads_total"), 0);
    assert!(text.ends_with("# EOF\n"), "{text}");
    server.shutdown().await;
}
