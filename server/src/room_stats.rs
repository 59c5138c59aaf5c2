//! The load of the server at one moment, as `/health` and `/metrics` report it.

/// Counts for `/health` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomStats {
    /// Rooms loaded in memory.
    pub rooms: usize,
    /// Open WebSocket connections across all rooms.
    pub connections: usize,
}
