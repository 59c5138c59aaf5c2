//! A reader whose position fell out of what Redis retains says so (so the room reloads from
//! the store) and goes on with what is retained; a position that is merely older than the
//! first retained entry, with nothing deleted in between, is not lost.

use std::time::Duration;

use crate::cluster::{LostReason, NodeId, ReaderEvent, Retention, StreamId};

use super::support::{link, payloads, publish_updates, read_until, reader, unique_room};

fn small() -> Retention {
    Retention {
        max_len: 10,
        key_ttl: Duration::from_secs(600),
    }
}

#[tokio::test]
async fn following_from_a_trimmed_position_is_reported_then_the_retained_entries_follow() {
    let room = unique_room("trimmed-before");
    let (publisher, follower) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let ids = publish_updates(&mut link, &room, publisher, 0..250, small()).await;

    let mut reader = reader(follower, 10);
    reader.follow(&room, ids[0]);
    let events = reader.next_events().await.unwrap();
    let [ReaderEvent::PositionLost {
        room: lost_room,
        lost,
    }] = events.as_slice()
    else {
        panic!("expected only the lost position first, got {events:?}");
    };
    assert_eq!((lost_room, lost.reason), (&room, LostReason::Trimmed));
    assert_eq!(lost.resume_from, StreamId::ZERO);
    assert_eq!(reader.position(&room), Some(StreamId::ZERO));

    // Then every entry after the resume point, up to the last one published.
    let rest = read_until(&mut reader, |events| payloads(events).last() == Some(&249)).await;
    let numbers = payloads(&rest);
    assert!(
        numbers.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{numbers:?}"
    );
    assert!(numbers.len() >= 10);
}

#[tokio::test]
async fn a_reader_overtaken_by_trimming_while_following_is_told() {
    let room = unique_room("trimmed-while-reading");
    let (publisher, follower) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let mut reader = reader(follower, 10);
    reader.follow(&room, StreamId::ZERO);
    publish_updates(&mut link, &room, publisher, 0..1, small()).await;
    assert_eq!(
        payloads(&read_until(&mut reader, |events| !events.is_empty()).await),
        [0]
    );

    // Far more than the stream retains, before the reader reads again.
    publish_updates(&mut link, &room, publisher, 1..250, small()).await;
    let events = read_until(&mut reader, |events| payloads(events).last() == Some(&249)).await;
    assert!(
        matches!(&events[0], ReaderEvent::PositionLost { lost, .. } if lost.reason == LostReason::Trimmed),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_retained_position_is_kept_however_far_apart_the_ids_are() {
    let room = unique_room("sparse");
    let (publisher, follower) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let mut ids = Vec::new();
    for n in 0..5 {
        // Ids milliseconds apart: the id after 5-0 is not 5-1.
        ids.extend(
            publish_updates(&mut link, &room, publisher, n..n + 1, Retention::default()).await,
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    assert!(ids[1].millis > ids[0].millis);

    // Batches of 2 are full, so every read checks the position too.
    let mut reader = reader(follower, 2);
    reader.follow(&room, ids[0]);
    let events = read_until(&mut reader, |events| payloads(events).len() >= 4).await;
    assert_eq!(payloads(&events), [1, 2, 3, 4], "{events:?}");
    assert_eq!(events.len(), 4, "no position reported lost: {events:?}");
}

#[tokio::test]
async fn a_position_in_a_stream_that_is_gone_is_reported() {
    let room = unique_room("gone");
    let mut reader = reader(NodeId::generate(), 10);
    reader.follow(
        &room,
        StreamId {
            millis: 1,
            sequence: 0,
        },
    );
    let events = reader.next_events().await.unwrap();
    assert!(
        matches!(
            events.as_slice(),
            [ReaderEvent::PositionLost { lost, .. }]
                if lost.reason == LostReason::StreamMissing && lost.resume_from == StreamId::ZERO
        ),
        "{events:?}"
    );
    assert_eq!(reader.position(&room), Some(StreamId::ZERO));
    // The start of a stream is never lost, whether or not it exists.
    let mut fresh = super::support::reader(NodeId::generate(), 10);
    fresh.follow(&unique_room("gone-too"), StreamId::ZERO);
    assert_eq!(fresh.next_events().await.unwrap(), []);
}
