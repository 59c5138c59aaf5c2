//! A reader whose Redis connection dies goes on from the last id it read once Redis answers
//! again: nothing published meanwhile is missed, nothing already read comes twice. A read
//! that the caller drops half way loses nothing either.

use std::time::Duration;

use crate::cluster::{NodeId, Retention, StreamId, StreamReader};

use super::support::{link, payloads, publish_updates, read_until, reader, unique_room, PATIENCE};

/// The `id=` of the connection named `name` that is blocked in `XREAD`, from `CLIENT LIST`.
async fn blocked_reader_connection(
    link: &mut crate::cluster::RedisLink,
    name: &str,
) -> Option<u64> {
    let list: String = link.query(redis::cmd("CLIENT").arg("LIST")).await.unwrap();
    list.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(' ').collect();
        let is_it =
            fields.contains(&format!("name={name}").as_str()) && fields.contains(&"cmd=xread");
        is_it
            .then(|| {
                fields
                    .iter()
                    .find_map(|field| field.strip_prefix("id=")?.parse().ok())
            })
            .flatten()
    })
}

#[tokio::test]
async fn a_reader_resumes_after_its_connection_is_killed_without_gaps_or_repeats() {
    let room = unique_room("killed");
    let (publisher, follower) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let mut reader = reader(follower, 100);
    reader.follow(&room, StreamId::ZERO);

    publish_updates(&mut link, &room, publisher, 0..3, Retention::default()).await;
    let first = read_until(&mut reader, |events| events.len() >= 3).await;
    assert_eq!(payloads(&first), [0, 1, 2]);

    // Kill the reader's connection while it blocks in XREAD.
    let name = format!("ycord-reader-{follower}");
    let (read, ()) = tokio::join!(reader.next_events(), async {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(id) = blocked_reader_connection(&mut link, &name).await {
                let killed: i64 = link
                    .query(redis::cmd("CLIENT").arg("KILL").arg("ID").arg(id))
                    .await
                    .unwrap();
                assert_eq!(killed, 1);
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the reader never blocked"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert!(read.is_err(), "a killed read must fail, got {read:?}");

    // Published while the reader is disconnected.
    publish_updates(&mut link, &room, publisher, 3..6, Retention::default()).await;
    let rest = read_until(&mut reader, |events| events.len() >= 3).await;
    assert_eq!(payloads(&rest), [3, 4, 5]);
    assert_eq!(
        reader.next_events().await.unwrap(),
        [],
        "nothing comes twice"
    );
}

#[tokio::test]
async fn a_dropped_read_loses_nothing() {
    let room = unique_room("dropped");
    let (publisher, follower) = (NodeId::generate(), NodeId::generate());
    let mut link = link();
    let mut reader: StreamReader = reader(follower, 100);
    reader.follow(&room, StreamId::ZERO);
    // The first call checks the position and blocks; drop it while it blocks.
    let dropped = tokio::time::timeout(Duration::from_millis(50), reader.next_events()).await;
    assert!(dropped.is_err(), "the read should still block");

    publish_updates(&mut link, &room, publisher, 0..2, Retention::default()).await;
    let events = read_until(&mut reader, |events| events.len() >= 2).await;
    assert_eq!(payloads(&events), [0, 1]);
}
