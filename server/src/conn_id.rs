//! How the server names one WebSocket connection.

/// Identifies one WebSocket connection for the lifetime of the server.
pub type ConnId = u64;
