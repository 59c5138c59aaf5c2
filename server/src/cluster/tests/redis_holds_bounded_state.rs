//! Redis is transport, not storage: a room's stream stays near its retention length however
//! much is published, and the key of a room nobody publishes to expires.

use std::time::Duration;

use crate::cluster::{publish, NodeId, Retention};

use super::support::{eventually, length_and_ttl, link, publish_updates, unique_room, update};

#[tokio::test]
async fn trimming_keeps_a_stream_between_its_retention_and_one_macro_node_more() {
    let room = unique_room("trim");
    let mut link = link();
    let retention = Retention {
        max_len: 50,
        ..Retention::default()
    };
    publish_updates(&mut link, &room, NodeId::generate(), 0..250, retention).await;
    let (length, _) = length_and_ttl(&mut link, &room).await;
    // `MAXLEN ~` trims whole radix-tree nodes (stream-node-max-entries, 100 by default).
    assert!(
        (50..150).contains(&length),
        "250 entries with MAXLEN ~ 50 left {length}"
    );
}

#[tokio::test]
async fn every_publish_renews_the_key_expiry() {
    let room = unique_room("ttl");
    let mut link = link();
    let node = NodeId::generate();
    let short = Retention {
        key_ttl: Duration::from_secs(5),
        ..Retention::default()
    };
    publish(&mut link, &room, &update(node, 0), short)
        .await
        .unwrap();
    let (_, first_ttl) = length_and_ttl(&mut link, &room).await;
    assert!((1..=5_000).contains(&first_ttl), "PTTL {first_ttl}");

    let long = Retention {
        key_ttl: Duration::from_secs(600),
        ..Retention::default()
    };
    publish(&mut link, &room, &update(node, 1), long)
        .await
        .unwrap();
    let (length, second_ttl) = length_and_ttl(&mut link, &room).await;
    assert_eq!(length, 2);
    assert!(
        second_ttl > 5_000,
        "PTTL {second_ttl} after renewing for 600 s"
    );
}

#[tokio::test]
async fn an_idle_rooms_stream_expires() {
    let room = unique_room("idle");
    let mut link = link();
    let retention = Retention {
        key_ttl: Duration::from_millis(300),
        ..Retention::default()
    };
    publish_updates(&mut link, &room, NodeId::generate(), 0..3, retention).await;
    let key = crate::cluster::keys::room_stream_key(&room);
    eventually(Duration::from_secs(10), "the stream's expiry", || {
        let key = key.clone();
        let mut link = super::support::link();
        async move {
            !link
                .query::<bool>(redis::cmd("EXISTS").arg(&key))
                .await
                .unwrap()
        }
    })
    .await;
}
