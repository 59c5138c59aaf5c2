//! What one node publishes on a room's stream reaches the readers of the other nodes, intact
//! and in order; a node never reads its own entries back, and garbage in a stream is
//! reported and skipped without stopping the room.

use crate::cluster::{
    publish, read_retained, EntryError, EntryKind, NodeId, ReaderEvent, Retention, StreamEntry,
    StreamId,
};

use super::support::{link, payloads, publish_updates, read_until, reader, unique_room};

/// Larger than any payload these tests publish.
const MAX_PAYLOAD: usize = 1024;

#[tokio::test]
async fn every_kind_of_entry_reaches_another_node_intact() {
    let room = unique_room("round-trip");
    let (publisher, follower) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let mut reader = reader(follower, 100);
    reader.follow(&room, StreamId::ZERO);

    let sent = [
        StreamEntry {
            node: publisher,
            kind: EntryKind::Update,
            payload: vec![0, 1, 2, 255, 0, 13, 10],
        },
        StreamEntry {
            node: publisher,
            kind: EntryKind::Awareness,
            payload: b"\x01\x02presence".to_vec(),
        },
        StreamEntry {
            node: publisher,
            kind: EntryKind::RoomDeleted,
            payload: Vec::new(),
        },
    ];
    let mut ids = Vec::new();
    for entry in &sent {
        ids.push(
            publish(&mut link, &room, entry, Retention::default())
                .await
                .unwrap(),
        );
    }
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));

    let events = read_until(&mut reader, |events| events.len() >= sent.len()).await;
    let expected: Vec<ReaderEvent> = sent
        .iter()
        .zip(&ids)
        .map(|(entry, id)| ReaderEvent::Entry {
            room: room.clone(),
            id: *id,
            entry: entry.clone(),
        })
        .collect();
    assert_eq!(events, expected);
    assert_eq!(reader.position(&room), Some(ids[2]));
}

#[tokio::test]
async fn a_node_skips_its_own_entries_but_keeps_its_place() {
    let room = unique_room("own");
    let (me, other) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let mut reader = reader(me, 100);
    reader.follow(&room, StreamId::ZERO);

    publish_updates(&mut link, &room, me, 0..3, Retention::default()).await;
    publish_updates(&mut link, &room, other, 3..5, Retention::default()).await;
    let own_last = publish_updates(&mut link, &room, me, 5..6, Retention::default()).await;

    let events = read_until(&mut reader, |events| events.len() >= 2).await;
    assert_eq!(payloads(&events), [3, 4]);
    assert!(events
        .iter()
        .all(|event| matches!(event, ReaderEvent::Entry { entry, .. } if entry.node == other)));
    // Nothing else arrives, and the position moved past the own entry at the end.
    assert_eq!(reader.next_events().await.unwrap(), []);
    assert_eq!(reader.position(&room), Some(own_last[0]));
}

#[tokio::test]
async fn garbled_entries_are_reported_and_the_room_reads_on() {
    let room = unique_room("garbled");
    let (publisher, follower) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let mut reader = reader(follower, 100);
    reader.follow(&room, StreamId::ZERO);

    // Anything with access to Redis can write to a room's stream.
    let key = crate::cluster::keys::room_stream_key(&room);
    let bad_id: String = link
        .query(
            redis::cmd("XADD")
                .arg(&key)
                .arg("*")
                .arg("node")
                .arg("not-a-node")
                .arg("kind")
                .arg("update")
                .arg("payload")
                .arg(b"\x00"),
        )
        .await
        .unwrap();
    publish_updates(&mut link, &room, publisher, 7..8, Retention::default()).await;

    let events = read_until(&mut reader, |events| events.len() >= 2).await;
    assert!(matches!(
        &events[0],
        ReaderEvent::Garbled { id, error: EntryError::BadNode(_), .. } if id.to_string() == bad_id
    ));
    assert_eq!(payloads(&events), [7]);
}

#[tokio::test]
async fn loading_reads_the_retained_stream_then_follows_from_its_end() {
    let room = unique_room("load");
    let (publisher, loader) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let before = publish_updates(&mut link, &room, publisher, 0..3, Retention::default()).await;

    let retained = read_retained(&mut link, &room, MAX_PAYLOAD).await.unwrap();
    let loaded: Vec<u8> = retained
        .entries
        .iter()
        .map(|(_, entry)| entry.as_ref().unwrap().payload[0])
        .collect();
    assert_eq!(loaded, [0, 1, 2]);
    assert_eq!(retained.position, before[2]);

    let mut reader = reader(loader, 100);
    reader.follow(&room, retained.position);
    publish_updates(&mut link, &room, publisher, 3..5, Retention::default()).await;
    let events = read_until(&mut reader, |events| events.len() >= 2).await;
    assert_eq!(payloads(&events), [3, 4]);

    let empty = read_retained(&mut link, &unique_room("never-used"), MAX_PAYLOAD)
        .await
        .unwrap();
    assert_eq!((empty.entries.len(), empty.position), (0, StreamId::ZERO));
}

#[tokio::test]
async fn an_unfollowed_room_is_no_longer_read() {
    let (kept, dropped) = (unique_room("kept"), unique_room("unfollowed"));
    let (publisher, follower) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let mut reader = reader(follower, 100);
    reader.follow(&kept, StreamId::ZERO);
    reader.follow(&dropped, StreamId::ZERO);
    publish_updates(&mut link, &dropped, publisher, 0..1, Retention::default()).await;
    read_until(&mut reader, |events| !events.is_empty()).await;

    reader.unfollow(&dropped);
    publish_updates(&mut link, &dropped, publisher, 1..2, Retention::default()).await;
    publish_updates(&mut link, &kept, publisher, 2..3, Retention::default()).await;
    let events = read_until(&mut reader, |events| !events.is_empty()).await;
    assert_eq!(payloads(&events), [2]);
    assert!(events
        .iter()
        .all(|event| matches!(event, ReaderEvent::Entry { room, .. } if *room == kept)));
    assert_eq!(reader.position(&dropped), None);
}
