//! `GET /health`: liveness, a glance at the load, this node's id and, in a cluster, whether
//! Redis answers.

use std::sync::Arc;

use serde::Serialize;

use crate::cluster::{ClusterNode, NodeId};
use crate::rooms::Rooms;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    rooms: usize,
    connections: usize,
    /// This process's id, generated at start (a cluster's nodes tell each other apart by it).
    node: String,
    /// `null` when the server is not part of a cluster.
    cluster: Option<ClusterHealth>,
}

#[derive(Serialize)]
struct ClusterHealth {
    /// `connected` or `unreachable`: while Redis is unreachable the node serves its own
    /// clients alone and catches up when it is back.
    redis: &'static str,
}

/// What `/health` reports on.
#[derive(Clone)]
pub(crate) struct HealthSource {
    pub(crate) rooms: Arc<Rooms>,
    pub(crate) node: NodeId,
    pub(crate) cluster: Option<Arc<ClusterNode>>,
}

/// The JSON body of `/health`.
pub(crate) fn report(source: &HealthSource) -> warp::reply::Json {
    let stats = source.rooms.stats();
    warp::reply::json(&Health {
        status: "ok",
        rooms: stats.rooms,
        connections: stats.connections,
        node: source.node.to_string(),
        cluster: source.cluster.as_ref().map(|cluster| ClusterHealth {
            redis: if cluster.is_redis_up() {
                "connected"
            } else {
                "unreachable"
            },
        }),
    })
}
