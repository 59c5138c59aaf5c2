//! `ycord-server` — a WebSocket relay for Yjs documents that y-websocket clients use as a
//! drop-in for the Node y-websocket server, with persistence built in.
//!
//! Rooms are addressed by URL path (`ws://host:port/<room>`, the raw path, not
//! percent-decoded). Hocuspocus providers connect to `ws://host:port/hocuspocus` instead and
//! reach the same rooms by document name, several documents over one socket (so a room named
//! `hocuspocus` is not reachable over WebSocket). Each room is one task owning its document and awareness states; it is
//! loaded from the store before its first sync message is answered, and an update is echoed
//! to anyone only once the store has it (group-committed across rooms). Every update is
//! validated completely before it reaches the document; what is stored and relayed (to every
//! connection of the room, the sender included) is what the document applied: the bytes as
//! received when all of it was new, re-encoded otherwise.
//!
//! Several servers can serve the same rooms ([`Config::cluster`]): they share a PostgreSQL
//! store, and each publishes the updates it stored, its clients' awareness and room deletions
//! on the room's Redis stream, which the other nodes serving the room follow.
//!
//! ```no_run
//! # async fn run() -> Result<(), ycord_server::StartError> {
//! use ycord_server::{Config, Server, Storage};
//!
//! let server = Server::bind(Config {
//!     port: 0, // any free port
//!     storage: Storage::Embedded("./ycord-data".into()),
//!     ..Config::default()
//! })
//! .await?;
//! println!("clients connect to {}/my-room", server.ws_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod api;
pub mod auth;
mod close;
pub(crate) mod cluster;
mod commit;
mod config;
mod conn_id;
mod connection;
mod fragment;
mod gate;
mod health;
mod hocuspocus;
mod http_serve;
mod json;
mod limits;
mod load;
mod metrics;
mod presence;
mod refusal;
mod room;
mod room_command;
mod room_stats;
mod room_task;
mod rooms;
mod roster;
mod routes;
mod server;
mod socket_io;
mod storage;
mod upgrade;
mod writers;

pub use close::CloseReason;
pub use config::{ClusterConfig, Compaction, Config, Durability, MetricsAccess, Storage};
pub use limits::Limits;
pub use metrics::Metrics;
pub use room_stats::RoomStats;
pub use server::{Server, StartError};

/// The sans-IO pieces that `benches/` measures without sockets: the room, its awareness
/// states, and rebuilding a document from stored updates. Only with the `bench-internals`
/// feature, and not a stable API: the server's interface is [`Server`] and its HTTP and
/// WebSocket endpoints.
#[cfg(feature = "bench-internals")]
pub mod bench_internals {
    pub use crate::load::{new_document, rebuild_document, Rebuilt};
    pub use crate::presence::{Presence, Relay};
    pub use crate::room::{Dialect, Effect, Room};
}
