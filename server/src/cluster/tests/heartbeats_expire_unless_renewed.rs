//! A node's heartbeat shows it alive while it renews it, and stops doing so within its ttl
//! once it stops: that is how the other nodes notice a dead node within seconds.

use std::time::Duration;

use crate::cluster::{beat, is_alive, NodeId};

use super::support::{eventually, link};

#[tokio::test]
async fn a_heartbeat_shows_the_node_alive_until_its_ttl_runs_out() {
    let mut link = link();
    let (node, never_started) = (NodeId::generate(), NodeId::generate());
    let ttl = Duration::from_millis(400);

    beat(&mut link, node, ttl).await.unwrap();
    assert!(is_alive(&mut link, node).await.unwrap());
    assert!(!is_alive(&mut link, never_started).await.unwrap());

    eventually(Duration::from_secs(10), "the heartbeat's expiry", || {
        let mut link = super::support::link();
        async move { !is_alive(&mut link, node).await.unwrap() }
    })
    .await;

    beat(&mut link, node, ttl).await.unwrap();
    assert!(
        is_alive(&mut link, node).await.unwrap(),
        "a new beat revives the node"
    );
}

#[tokio::test]
async fn renewing_a_heartbeat_keeps_the_node_alive() {
    let mut link = link();
    let node = NodeId::generate();
    let ttl = Duration::from_millis(600);
    let key = crate::cluster::keys::node_heartbeat_key(node);
    for _ in 0..5 {
        beat(&mut link, node, ttl).await.unwrap();
        let left: i64 = link.query(redis::cmd("PTTL").arg(&key)).await.unwrap();
        assert!((1..=600).contains(&left), "PTTL {left}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(is_alive(&mut link, node).await.unwrap());
    }
}
