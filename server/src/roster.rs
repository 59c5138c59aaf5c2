//! Who is connected to each room: the connection list `GET /api/connections/{room}` shows,
//! with each connection's token subject and access.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::Serialize;

use crate::auth::Access;
use crate::conn_id::ConnId;

/// One open connection, as the connection list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ConnectionInfo {
    pub(crate) conn: ConnId,
    /// The token's `sub`; `None` on an open server or for a token without one.
    pub(crate) sub: Option<String>,
    /// `rw` or `ro`.
    pub(crate) access: &'static str,
    /// When it joined, in milliseconds since the Unix epoch.
    pub(crate) connected_at_ms: u64,
}

impl ConnectionInfo {
    pub(crate) fn new(conn: ConnId, sub: Option<String>, access: Access) -> Self {
        ConnectionInfo {
            conn,
            sub,
            access: access.as_str(),
            connected_at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| {
                    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
                }),
        }
    }
}

/// Open connections by room. A room's entry goes when its last connection does, so the
/// roster holds nothing for rooms nobody is in.
#[derive(Debug, Default)]
pub(crate) struct Roster {
    rooms: Mutex<HashMap<String, BTreeMap<ConnId, ConnectionInfo>>>,
}

impl Roster {
    pub(crate) fn add(&self, room: &str, info: ConnectionInfo) {
        let mut rooms = self.rooms.lock().expect("roster lock");
        rooms
            .entry(room.to_owned())
            .or_default()
            .insert(info.conn, info);
    }

    pub(crate) fn remove(&self, room: &str, conn: ConnId) {
        let mut rooms = self.rooms.lock().expect("roster lock");
        if let Some(connections) = rooms.get_mut(room) {
            connections.remove(&conn);
            if connections.is_empty() {
                rooms.remove(room);
            }
        }
    }

    /// The room's connections, oldest first.
    pub(crate) fn list(&self, room: &str) -> Vec<ConnectionInfo> {
        let rooms = self.rooms.lock().expect("roster lock");
        rooms
            .get(room)
            .map(|connections| connections.values().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_lists_its_connections_until_they_leave_and_then_is_forgotten() {
        let roster = Roster::default();
        roster.add(
            "a",
            ConnectionInfo::new(2, Some("bob".into()), Access::ReadOnly),
        );
        roster.add(
            "a",
            ConnectionInfo::new(1, Some("alice".into()), Access::ReadWrite),
        );
        roster.add("b", ConnectionInfo::new(3, None, Access::ReadWrite));
        let subs: Vec<_> = roster.list("a").into_iter().map(|c| c.sub).collect();
        assert_eq!(subs, [Some("alice".into()), Some("bob".into())]);
        roster.remove("a", 1);
        roster.remove("a", 2);
        assert!(roster.list("a").is_empty());
        assert!(!roster.rooms.lock().unwrap().contains_key("a"));
        assert_eq!(roster.list("b").len(), 1);
    }
}
