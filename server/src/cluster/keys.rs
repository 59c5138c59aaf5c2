//! Redis key names: one stream per room, one heartbeat key per node.
//!
//! Room names are raw URL paths, so they may hold any byte a client put in a path, `%`, `:`,
//! `{` and `}` included. Keys escape every byte outside `A-Z a-z 0-9 - . _ ~ /` as `%XX`:
//! two rooms never share a key, and no room name can form a Redis Cluster hash tag (`{…}`).

use std::fmt::Write;

use super::node_id::NodeId;

/// Prefix of every room's stream key.
const ROOM_STREAM_PREFIX: &str = "ycord:room:";

/// Prefix of every node's heartbeat key.
const NODE_HEARTBEAT_PREFIX: &str = "ycord:node:";

/// `ycord:room:<escaped room name>`: the stream that carries the room's entries.
pub(crate) fn room_stream_key(room: &str) -> String {
    let mut key = String::with_capacity(ROOM_STREAM_PREFIX.len() + room.len());
    key.push_str(ROOM_STREAM_PREFIX);
    for byte in room.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            key.push(char::from(byte));
        } else {
            let _ = write!(key, "%{byte:02X}");
        }
    }
    key
}

/// `ycord:node:<node id>`: present while the node is alive (it expires unless renewed).
pub(crate) fn node_heartbeat_key(node: NodeId) -> String {
    format!("{NODE_HEARTBEAT_PREFIX}{node}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn plain_paths_stay_readable() {
        assert_eq!(
            room_stream_key("docs/my-room_1.v2~x"),
            "ycord:room:docs/my-room_1.v2~x"
        );
        assert_eq!(room_stream_key(""), "ycord:room:");
    }

    #[test]
    fn distinct_rooms_get_distinct_keys() {
        let rooms = [
            "a b", "a%20b", "a%2520b", "a:b", "a%3Ab", "{a}", "%7Ba%7D", "é", "%C3%A9", "a\nb",
            "a\0b", "", "%",
        ];
        let keys: HashSet<String> = rooms.iter().map(|room| room_stream_key(room)).collect();
        assert_eq!(keys.len(), rooms.len());
    }

    #[test]
    fn keys_hold_no_hash_tags_separators_or_control_bytes() {
        let key = room_stream_key("{tag}:x y\r\n\u{7f}é");
        let room_part = key.strip_prefix(ROOM_STREAM_PREFIX).unwrap();
        assert_eq!(room_part, "%7Btag%7D%3Ax%20y%0D%0A%7F%C3%A9");
        assert!(room_part.bytes().all(|byte| byte.is_ascii_graphic()));
    }

    #[test]
    fn heartbeat_keys_name_the_node() {
        let node = NodeId::generate();
        assert_eq!(node_heartbeat_key(node), format!("ycord:node:{node}"));
    }
}
