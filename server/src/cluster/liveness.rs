//! The task that keeps this node's heartbeat key alive and removes the awareness states of
//! nodes whose key expired (a node killed without closing its sockets), within a few seconds.

use std::collections::HashSet;
use std::sync::Arc;

use super::heartbeat::{beat, is_alive};
use super::link::RedisLink;
use super::node::ClusterNode;
use super::node_id::NodeId;
use crate::room_command::{Remote, RoomCommand};
use crate::rooms::Rooms;

pub(super) async fn run(node: Arc<ClusterNode>, mut link: RedisLink, rooms: Arc<Rooms>) {
    let ttl = node.heartbeat_ttl();
    let mut beats = tokio::time::interval(ttl / 3);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A node is declared dead when its key is missing at two checks in a row: after Redis
    // restarts, every key is gone until each node's next beat.
    let mut missing_once: HashSet<NodeId> = HashSet::new();
    loop {
        beats.tick().await;
        let beaten = beat(&mut link, node.id(), ttl).await;
        node.record_redis(&beaten);
        if beaten.is_err() {
            continue;
        }
        for peer in node.watched_peers() {
            match is_alive(&mut link, peer).await {
                Ok(true) => {
                    missing_once.remove(&peer);
                }
                Ok(false) if missing_once.remove(&peer) => {
                    tracing::info!(node = %peer, "node stopped beating: removing its clients' awareness");
                    node.forget_peer(peer);
                    for room in rooms.loaded_names() {
                        if let Some(handle) = rooms.get_existing(&room) {
                            let command = RoomCommand::Remote(Remote::NodeGone(peer));
                            let _ = handle.commands.send(command).await;
                        }
                    }
                }
                Ok(false) => {
                    missing_once.insert(peer);
                }
                // Redis cannot tell: nothing is decided.
                Err(_) => break,
            }
        }
    }
}
