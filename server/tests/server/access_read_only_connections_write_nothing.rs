//! A read-only connection gets the document, is told once with y-protocols' permission-denied
//! message (`[2, 0, "read-only"]`), and nothing it writes reaches the room, the other clients or
//! the store (checked after a restart); its awareness is relayed unless switched off.

use std::collections::HashMap;
use std::sync::Arc;

use ycord_protocol::{decode_frame, encode, Message, SyncMessage};
use ycord_server::auth::{Access, AuthConfig};
use ycord_server::{Config, Server, Storage};
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::AwarenessUpdate;
use yrs::{ClientID, Doc, StateVector};

use crate::access_support::{auth_server, token, upgrade, SECRET};
use crate::support::{text_update, RawClient};

async fn join(server: &Server, room: &str, access: Access) -> RawClient {
    let jwt = token(room, access);
    let (mut client, _) = upgrade(server, &format!("{room}?token={jwt}"), &[])
        .await
        .accepted();
    client
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Step1(_))))
        .await;
    client
}

/// The frames up to and including the step2 answering an empty step1.
async fn frames_until_step2(client: &mut RawClient) -> Vec<Vec<u8>> {
    client
        .send(encode::sync_step1(&StateVector::default()))
        .await;
    let mut frames = Vec::new();
    loop {
        let frame = client.next_frame().await;
        let is_step2 = decode_frame(&frame)
            .expect("server frames decode")
            .iter()
            .any(|m| matches!(m, Message::Sync(SyncMessage::Step2(_))));
        frames.push(frame);
        if is_step2 {
            return frames;
        }
    }
}

fn is_auth(frame: &[u8]) -> bool {
    decode_frame(frame)
        .expect("server frames decode")
        .iter()
        .any(|m| matches!(m, Message::Auth(_)))
}

#[tokio::test]
async fn a_read_only_connection_is_told_once_and_its_writes_reach_neither_room_nor_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = || Config {
        storage: Storage::Embedded(dir.path().to_owned()),
        ..Config::default()
    };
    let auth = || AuthConfig::with_secret(SECRET.to_vec());
    let server = auth_server(auth(), config()).await;
    let mut writer = join(&server, "doc", Access::ReadWrite).await;
    writer
        .send(encode::sync_update(&text_update(&Doc::new(), "base")))
        .await;
    writer
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Update(_))))
        .await;

    let mut reader = join(&server, "doc", Access::ReadOnly).await;
    assert_eq!(
        reader.fetch_text().await,
        "base",
        "the reader gets the document"
    );
    reader
        .send(encode::sync_update(&text_update(&Doc::new(), "update ")))
        .await;
    let denied = reader.frame_where(|m| matches!(m, Message::Auth(_))).await;
    let mut expected = vec![2, 0, 9];
    expected.extend_from_slice(b"read-only");
    assert_eq!(
        denied, expected,
        "y-protocols' permission denied, reason \"read-only\""
    );

    // More writes, as a step2 and as an update mixed with a step1 in one frame: no second
    // denial, and the room's state (the step2 answer, sent after handling them) is unchanged.
    reader
        .send(encode::sync_step2(&text_update(&Doc::new(), "step2 ")))
        .await;
    let mut mixed = encode::sync_update(&text_update(&Doc::new(), "mixed "));
    mixed.extend(encode::sync_step1(&StateVector::default()));
    reader.send(mixed).await;
    let frames = frames_until_step2(&mut reader).await;
    assert!(!frames.iter().any(|f| is_auth(f)), "told once: {frames:?}");
    let answers = frames_until_step2(&mut reader).await;
    assert!(!answers.iter().any(|f| is_auth(f)));
    assert_eq!(
        reader.fetch_text().await,
        "base",
        "the room has no read-only write"
    );
    assert_eq!(writer.fetch_text().await, "base", "the writer sees none");
    assert_eq!(
        server.stats().connections,
        2,
        "the reader is still connected"
    );

    drop((reader, writer));
    server.shutdown().await;
    let restarted = auth_server(auth(), config()).await;
    let mut fresh = join(&restarted, "doc", Access::ReadOnly).await;
    assert_eq!(
        fresh.fetch_text().await,
        "base",
        "the store has no read-only write"
    );
}

fn announce(id: u64, json: &str) -> Vec<u8> {
    let mut clients = HashMap::new();
    clients.insert(
        ClientID::new(id),
        AwarenessUpdateEntry {
            clock: 1,
            json: Arc::from(json),
        },
    );
    encode::awareness(&AwarenessUpdate { clients })
}

/// The next awareness frame that mentions `id`, as the set of client ids it mentions.
async fn awareness_mentioning(client: &mut RawClient, id: u64) -> Vec<u64> {
    loop {
        let frame = client
            .frame_where(|m| matches!(m, Message::Awareness(_)))
            .await;
        for message in decode_frame(&frame).unwrap() {
            if let Message::Awareness(update) = message {
                if update.clients.contains_key(&ClientID::new(id)) {
                    let mut ids: Vec<u64> = update.clients.keys().map(|c| c.get()).collect();
                    ids.sort_unstable();
                    return ids;
                }
            }
        }
    }
}

#[tokio::test]
async fn read_only_awareness_is_relayed_unless_switched_off() {
    for relay in [true, false] {
        let auth = AuthConfig {
            relay_read_only_awareness: relay,
            ..AuthConfig::with_secret(SECRET.to_vec())
        };
        let server = auth_server(auth, Config::default()).await;
        let mut writer = join(&server, "room", Access::ReadWrite).await;
        let mut reader = join(&server, "room", Access::ReadOnly).await;
        writer.send(announce(1, r#"{"name":"writer"}"#)).await;
        awareness_mentioning(&mut reader, 1).await;

        // The room answers the query with every state it holds, after handling the announce
        // sent before it on the same connection.
        reader.send(announce(77, r#"{"name":"reader"}"#)).await;
        reader.send(encode::query_awareness()).await;
        let known = awareness_mentioning(&mut reader, 1).await;
        let expected: &[u64] = if relay { &[1, 77] } else { &[1] };
        assert_eq!(known, expected, "relay_read_only_awareness: {relay}");
        if relay {
            assert_eq!(awareness_mentioning(&mut writer, 77).await, [77]);
        }
    }
}
