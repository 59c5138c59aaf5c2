//! How the server names one WebSocket connection, and the stand-ins for other nodes.

/// Identifies one WebSocket connection for the lifetime of the server.
pub type ConnId = u64;

/// Ids from here up stand for another node of a cluster inside a room: the owner of the
/// awareness states that node's clients announced. Connections count up from zero and never
/// get near it.
pub(crate) const NODE_OWNER_BASE: ConnId = 1 << 63;

/// Whether `conn` stands for another node rather than a connection of this one.
pub(crate) fn is_node_owner(conn: ConnId) -> bool {
    conn >= NODE_OWNER_BASE
}
