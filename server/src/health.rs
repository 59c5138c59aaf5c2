//! `GET /health`: liveness plus a glance at the load.

use std::sync::Arc;

use serde::Serialize;

use crate::rooms::Rooms;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    rooms: usize,
    connections: usize,
}

/// The JSON body of `/health`.
pub(crate) fn report(rooms: &Arc<Rooms>) -> warp::reply::Json {
    let stats = rooms.stats();
    warp::reply::json(&Health {
        status: "ok",
        rooms: stats.rooms,
        connections: stats.connections,
    })
}
