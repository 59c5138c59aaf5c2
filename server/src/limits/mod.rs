//! Abuse limits: what one client, one address or one room may take of the server, decided
//! without IO so each rule has deterministic unit tests.
//!
//! - [`Limits`]: the settings and their defaults.
//! - [`ConnectionCounter`]: open connections in total, per room and per client address,
//!   admitted at upgrade (HTTP 503 or 429 when full).
//! - [`ConnectionRate`]: messages and bytes per second of one connection (close 1008).
//! - [`AllowedOrigins`]: which browser origins may open a WebSocket (HTTP 403 otherwise).
//!
//! The document size limit is the room's own (`room/document_size.rs`), and the header
//! timeout and size are the HTTP server's (`http_serve.rs`).

mod client_address;
mod config;
mod connections;
mod origin;
mod rate;

pub(crate) use client_address::TrustedProxies;
pub use config::Limits;
pub(crate) use connections::{ConnectionCounter, RoomSeat};
pub(crate) use origin::AllowedOrigins;
pub(crate) use rate::ConnectionRate;
