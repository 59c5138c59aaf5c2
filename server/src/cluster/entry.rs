//! What one stream entry carries, and its strict decoding: an entry in Redis is as untrusted
//! as a frame from a socket (anything with access to Redis can XADD to a room's stream).
//!
//! An entry has exactly three fields: `node` (the publisher's [`NodeId`]), `kind` (`update`,
//! `awareness`, `room-deleted` or `reload`) and `payload` (the update or awareness bytes as
//! the room relays them to its clients; empty for `room-deleted` and `reload`). The payload is decoded by the room
//! like any client's message, not here.

use super::node_id::{BadNodeId, NodeId};

/// Field names, in the order entries are written.
const NODE_FIELD: &str = "node";
const KIND_FIELD: &str = "kind";
const PAYLOAD_FIELD: &str = "payload";

/// What an entry tells the other nodes of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum EntryKind {
    /// A document update the publishing node stored.
    Update,
    /// An awareness update of clients connected to the publishing node.
    Awareness,
    /// The room was deleted through the HTTP API: close its sockets everywhere.
    RoomDeleted,
    /// The publishing node stored updates of the room it could not publish (Redis was
    /// unreachable for longer than its queue lasts): reload the room from the store.
    Reload,
}

impl EntryKind {
    /// Every kind, for tests and parsing.
    pub(crate) const ALL: [EntryKind; 4] = [
        EntryKind::Update,
        EntryKind::Awareness,
        EntryKind::RoomDeleted,
        EntryKind::Reload,
    ];

    /// The value of the `kind` field.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EntryKind::Update => "update",
            EntryKind::Awareness => "awareness",
            EntryKind::RoomDeleted => "room-deleted",
            EntryKind::Reload => "reload",
        }
    }

    /// Kinds that carry no payload.
    pub(crate) fn is_signal(self) -> bool {
        matches!(self, EntryKind::RoomDeleted | EntryKind::Reload)
    }

    fn parse(value: &[u8]) -> Option<EntryKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().as_bytes() == value)
    }
}

/// One entry of a room's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamEntry {
    /// The node that published it; a reader skips its own.
    pub(crate) node: NodeId,
    /// What the payload is.
    pub(crate) kind: EntryKind,
    /// The bytes the room relays (empty for [`EntryKind::RoomDeleted`] and
    /// [`EntryKind::Reload`]).
    pub(crate) payload: Vec<u8>,
}

/// Why an entry read from Redis was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EntryError {
    /// A field other than `node`, `kind` and `payload`.
    #[error("unknown field {0:?} (an entry has node, kind and payload only)")]
    UnknownField(String),
    /// The same field twice.
    #[error("field {0} appears twice")]
    DuplicateField(&'static str),
    /// A field is missing.
    #[error("field {0} is missing")]
    MissingField(&'static str),
    /// `node` is not a node id.
    #[error("field node: {0}")]
    BadNode(#[from] BadNodeId),
    /// `kind` is not one of the known kinds.
    #[error("field kind: {0:?} is not update, awareness, room-deleted or reload")]
    UnknownKind(String),
    /// A payload larger than a room may hold (a node never publishes one).
    #[error("a payload of {len} bytes is over the limit of {max}")]
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A `room-deleted` or `reload` entry with a payload.
    #[error("a {kind} entry has an empty payload, this one has {len} bytes")]
    PayloadOnSignal {
        /// The entry's kind.
        kind: &'static str,
        /// The payload's length.
        len: usize,
    },
}

impl StreamEntry {
    /// The field/value pairs XADD writes.
    pub(crate) fn fields(&self) -> [(&'static str, Vec<u8>); 3] {
        [
            (NODE_FIELD, self.node.to_string().into_bytes()),
            (KIND_FIELD, self.kind.as_str().as_bytes().to_vec()),
            (PAYLOAD_FIELD, self.payload.clone()),
        ]
    }

    /// Decodes the field/value pairs of an entry as Redis returned them; the payload may take
    /// at most `max_payload` bytes.
    ///
    /// # Errors
    /// Anything but exactly the three fields with valid values: unknown or repeated fields,
    /// a bad node id, an unknown kind, a payload on `room-deleted` or `reload`, a payload over
    /// `max_payload`.
    pub(crate) fn decode<'a>(
        fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
        max_payload: usize,
    ) -> Result<StreamEntry, EntryError> {
        let (mut node, mut kind, mut payload) = (None, None, None);
        for (name, value) in fields {
            let slot = match name {
                b"node" => &mut node,
                b"kind" => &mut kind,
                b"payload" => &mut payload,
                other => {
                    let shown = String::from_utf8_lossy(&other[..other.len().min(64)]);
                    return Err(EntryError::UnknownField(shown.into_owned()));
                }
            };
            if slot.replace(value).is_some() {
                return Err(EntryError::DuplicateField(field_name(name)));
            }
        }
        let node = node.ok_or(EntryError::MissingField(NODE_FIELD))?;
        let kind = kind.ok_or(EntryError::MissingField(KIND_FIELD))?;
        let payload = payload.ok_or(EntryError::MissingField(PAYLOAD_FIELD))?;

        let node = std::str::from_utf8(node)
            .map_err(|_| BadNodeId(String::from_utf8_lossy(node).chars().take(64).collect()))?
            .parse::<NodeId>()?;
        let kind = EntryKind::parse(kind).ok_or_else(|| {
            EntryError::UnknownKind(String::from_utf8_lossy(&kind[..kind.len().min(64)]).into())
        })?;
        if payload.len() > max_payload {
            return Err(EntryError::PayloadTooLarge {
                len: payload.len(),
                max: max_payload,
            });
        }
        if kind.is_signal() && !payload.is_empty() {
            return Err(EntryError::PayloadOnSignal {
                kind: kind.as_str(),
                len: payload.len(),
            });
        }
        Ok(StreamEntry {
            node,
            kind,
            payload: payload.to_vec(),
        })
    }
}

fn field_name(name: &[u8]) -> &'static str {
    match name {
        b"node" => NODE_FIELD,
        b"kind" => KIND_FIELD,
        _ => PAYLOAD_FIELD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(pairs: &[(&str, &[u8])]) -> Result<StreamEntry, EntryError> {
        StreamEntry::decode(
            pairs.iter().map(|(name, value)| (name.as_bytes(), *value)),
            16,
        )
    }

    #[test]
    fn every_kind_round_trips_through_its_fields() {
        for kind in EntryKind::ALL {
            let entry = StreamEntry {
                node: NodeId::generate(),
                kind,
                payload: if kind.is_signal() {
                    Vec::new()
                } else {
                    vec![0, 2, 255, 0]
                },
            };
            let fields = entry.fields();
            let decoded = StreamEntry::decode(
                fields
                    .iter()
                    .map(|(name, value)| (name.as_bytes(), value.as_slice())),
                4,
            );
            assert_eq!(decoded, Ok(entry));
        }
    }

    #[test]
    fn field_order_does_not_matter() {
        let node = NodeId::generate().to_string();
        let entry = decode(&[
            ("payload", b"\x01"),
            ("node", node.as_bytes()),
            ("kind", b"awareness"),
        ])
        .unwrap();
        assert_eq!((entry.kind, entry.payload), (EntryKind::Awareness, vec![1]));
    }

    #[test]
    fn garbled_entries_are_errors() {
        let node = NodeId::generate().to_string();
        let node = node.as_bytes();
        type Case<'a> = (&'a [(&'a str, &'a [u8])], EntryError);
        let cases: [Case; 9] = [
            (
                &[("node", node), ("kind", b"update")],
                EntryError::MissingField("payload"),
            ),
            (
                &[
                    ("node", node),
                    ("kind", b"update"),
                    ("payload", b""),
                    ("x", b""),
                ],
                EntryError::UnknownField("x".into()),
            ),
            (
                &[
                    ("node", node),
                    ("node", node),
                    ("kind", b"update"),
                    ("payload", b""),
                ],
                EntryError::DuplicateField("node"),
            ),
            (
                &[("node", b"me"), ("kind", b"update"), ("payload", b"")],
                EntryError::BadNode(BadNodeId("me".into())),
            ),
            (
                &[("node", b"\xff\xfe"), ("kind", b"update"), ("payload", b"")],
                EntryError::BadNode(BadNodeId("\u{fffd}\u{fffd}".into())),
            ),
            (
                &[("node", node), ("kind", b"Update"), ("payload", b"")],
                EntryError::UnknownKind("Update".into()),
            ),
            (
                &[("node", node), ("kind", b"room-deleted"), ("payload", b"x")],
                EntryError::PayloadOnSignal {
                    kind: "room-deleted",
                    len: 1,
                },
            ),
            (
                &[("node", node), ("kind", b"update"), ("payload", &[7; 17])],
                EntryError::PayloadTooLarge { len: 17, max: 16 },
            ),
            (
                &[("node", node), ("kind", b"reload"), ("payload", b"ab")],
                EntryError::PayloadOnSignal {
                    kind: "reload",
                    len: 2,
                },
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(decode(pairs), Err(expected));
        }
        assert_eq!(decode(&[]), Err(EntryError::MissingField("node")));
    }
}
