//! Bad input closes the connection that sent it, with a specific close code, and nothing else:
//! the room's content is unchanged and the other clients keep syncing.

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use ycord_protocol::{encode, Message as YMessage, SyncMessage};
use ycord_server::Config;
use yrs::Doc;

use crate::support::{server, text_update, RawClient};

const LIMIT: usize = 64 * 1024;

async fn assert_offender_closed(frame: Message, expected_code: u16) {
    let server = server(Config {
        max_message_size: LIMIT,
        ..Config::default()
    })
    .await;
    let mut bystander = RawClient::connect(&server, "room").await;
    let writer_doc = Doc::new();
    bystander
        .send(encode::sync_update(&text_update(&writer_doc, "kept")))
        .await;
    bystander
        .frame_where(|m| matches!(m, YMessage::Sync(SyncMessage::Update(_))))
        .await;

    let mut offender = RawClient::connect(&server, "room").await;
    offender.ws.send(frame).await.expect("send bad frame");
    let (code, reason) = offender.close_code().await;
    assert_eq!(code, expected_code, "close reason: {reason}");
    assert!(!reason.is_empty(), "a close reason is given");

    // The bystander is still connected and still receives updates from others.
    let mut other = RawClient::connect(&server, "room").await;
    other
        .send(encode::sync_update(&text_update(&writer_doc, ">")))
        .await;
    bystander
        .frame_where(|m| matches!(m, YMessage::Sync(SyncMessage::Update(_))))
        .await;
    assert_eq!(other.fetch_text().await, ">kept");
    server.shutdown().await;
}

#[tokio::test]
async fn truncated_frame_closes_with_1002() {
    let mut frame = encode::sync_update(&text_update(&Doc::new(), "lost"));
    frame.truncate(frame.len() - 2);
    assert_offender_closed(Message::binary(frame), 1002).await;
}

#[tokio::test]
async fn unknown_message_type_closes_with_1003() {
    assert_offender_closed(Message::binary(vec![42, 0, 1]), 1003).await;
}

#[tokio::test]
async fn garbage_update_bytes_close_with_1007() {
    let frame = encode::sync_update(&[0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03]);
    assert_offender_closed(Message::binary(frame), 1007).await;
}

#[tokio::test]
async fn oversize_frame_closes_with_1009() {
    let frame = encode::sync_update(&text_update(&Doc::new(), &"x".repeat(LIMIT)));
    assert_offender_closed(Message::binary(frame), 1009).await;
}

#[tokio::test]
async fn text_frame_closes_with_1003() {
    assert_offender_closed(Message::text("hello"), 1003).await;
}

#[tokio::test]
async fn empty_frame_closes_with_1002() {
    assert_offender_closed(Message::binary(Vec::new()), 1002).await;
}

#[tokio::test]
async fn a_pending_update_with_invalid_utf8_closes_with_1007() {
    let frame = encode::sync_update(&crate::support::pending_update_with_invalid_utf8());
    assert_offender_closed(Message::binary(frame), 1007).await;
}

#[tokio::test]
async fn an_update_with_trailing_bytes_closes_with_1007() {
    let mut update = text_update(&Doc::new(), "tail");
    update.extend([0, 0, 0]);
    assert_offender_closed(Message::binary(encode::sync_update(&update)), 1007).await;
}

#[tokio::test]
async fn a_truncated_update_in_a_complete_frame_closes_with_1007() {
    let update = text_update(&Doc::new(), "cut short");
    let frame = encode::sync_update(&update[..update.len() - 1]);
    assert_offender_closed(Message::binary(frame), 1007).await;
}

#[tokio::test]
async fn a_step2_with_a_bit_flipped_update_closes_with_1007() {
    // The flip turns the content tag of the first struct into one yjs does not define.
    // Client 5 at clock 0: the fifth byte is the first struct's info byte.
    let mut update = text_update(&Doc::with_client_id(5), "flipped");
    assert_eq!(update[4], 4, "a string item");
    update[4] ^= 0x10;
    assert_offender_closed(Message::binary(encode::sync_step2(&update)), 1007).await;
}

#[tokio::test]
async fn the_http_api_refuses_hostile_updates_and_keeps_the_document() {
    let server = server(Config::default()).await;
    let addr = server.local_addr();
    let honest = text_update(&Doc::new(), "kept");
    let (status, _) =
        crate::support::http(addr, "POST", "/api/rooms/api-room/update", &honest).await;
    assert_eq!(status, 200);
    let (_, before) = crate::support::http(addr, "GET", "/api/rooms/api-room", b"").await;

    let mut trailing = text_update(&Doc::new(), "tail");
    trailing.extend([0, 0, 0]);
    let truncated = &honest[..honest.len() - 1];
    for body in [
        crate::support::pending_update_with_invalid_utf8(),
        trailing,
        truncated.to_vec(),
    ] {
        let (status, answer) =
            crate::support::http(addr, "POST", "/api/rooms/api-room/update", &body).await;
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(&answer));
        let error: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert!(
            error["error"]
                .as_str()
                .unwrap()
                .starts_with("invalid update"),
            "{error}"
        );
    }
    let (status, after) = crate::support::http(addr, "GET", "/api/rooms/api-room", b"").await;
    assert_eq!(status, 200);
    assert_eq!(after, before, "the document did not change");
    server.shutdown().await;
}
