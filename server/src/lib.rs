//! `ycord-server` — a WebSocket relay for Yjs documents that y-websocket clients use as a
//! drop-in for the Node y-websocket server.
//!
//! Rooms are addressed by URL path (`ws://host:port/<room>`, the raw path, not
//! percent-decoded). Each room is one task owning its document and awareness states; an update
//! is relayed as the bytes it arrived in to every connection of the room, the sender included.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let server = ycord_server::Server::bind(ycord_server::Config {
//!     port: 0, // any free port
//!     ..ycord_server::Config::default()
//! })
//! .await?;
//! println!("clients connect to {}/my-room", server.ws_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod close;
mod config;
mod connection;
mod health;
pub mod presence;
pub mod room;
mod room_task;
mod rooms;
mod server;
pub mod store;

pub use close::CloseReason;
pub use config::Config;
pub use rooms::RoomStats;
pub use server::Server;
