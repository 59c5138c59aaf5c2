//! The Hocuspocus dialect at `/hocuspocus`, on the same rooms as the y-websocket endpoint.
//!
//! A `HocuspocusProvider` (or several sharing one `HocuspocusProviderWebsocket`) connects to
//! `ws://host:port/hocuspocus`; each document on the socket joins the room of the same name as
//! a participant of its own, so Hocuspocus and y-websocket clients edit one document and see
//! each other's awareness. The [`session`] is the sans-IO core (tokens, queues, framing); the
//! [`socket`] adapter moves its frames between the WebSocket and the rooms; Stateless messages,
//! which rooms do not speak, go between Hocuspocus participants through the [`stateless`] hub.
//!
//! Acknowledgements come from the room: a document joins as [`crate::room::Dialect::Hocuspocus`],
//! and the room answers each of its step2 and update messages with a SyncStatus, held like any
//! echo until the store has the update.

mod session;
mod socket;
mod stateless;

pub(crate) use socket::{serve, SocketContext};
pub(crate) use stateless::StatelessHub;

/// The path of the Hocuspocus endpoint (exactly; a y-websocket room of this name is no longer
/// reachable over WebSocket).
pub(crate) const PATH: &str = "/hocuspocus";

/// The name a Hocuspocus socket is counted under by the connection limits: one of its own, so
/// that the per-room limit does not cap every Hocuspocus socket of the server together.
pub(crate) fn socket_key() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{PATH}\0{n}")
}
