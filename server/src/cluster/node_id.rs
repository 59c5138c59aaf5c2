//! The id a node picks at start, which marks the entries it publishes and names its
//! heartbeat key.

use std::fmt;
use std::str::FromStr;

/// A node's id: 128 random bits from the OS-seeded generator, written as 32 lowercase hex
/// digits. Two nodes of a cluster never pick the same one by chance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NodeId(u128);

impl NodeId {
    /// A new random id, once per process start.
    pub(crate) fn generate() -> Self {
        NodeId(rand::random())
    }

    /// The stand-in for this node inside a room: the owner of its clients' awareness states,
    /// above every connection id (see [`crate::conn_id::NODE_OWNER_BASE`]).
    pub(crate) fn owner(self) -> crate::conn_id::ConnId {
        let low_bits = u64::try_from(self.0 & u128::from(u64::MAX)).unwrap_or_default();
        crate::conn_id::NODE_OWNER_BASE | low_bits
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// What is wrong with a node id read from Redis.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a node id is 32 lowercase hex digits, not {0:?}")]
pub(crate) struct BadNodeId(pub(crate) String);

impl FromStr for NodeId {
    type Err = BadNodeId;

    /// Exactly what [`Display`](fmt::Display) writes: no sign, no prefix, no upper case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let is_canonical = text.len() == 32
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if !is_canonical {
            return Err(BadNodeId(text.chars().take(64).collect()));
        }
        u128::from_str_radix(text, 16)
            .map(NodeId)
            .map_err(|_| BadNodeId(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_differ_and_round_trip_through_text() {
        let (first, second) = (NodeId::generate(), NodeId::generate());
        assert_ne!(first, second);
        for id in [first, second, NodeId(0), NodeId(u128::MAX)] {
            let text = id.to_string();
            assert_eq!(text.len(), 32);
            assert_eq!(text.parse::<NodeId>(), Ok(id));
        }
    }

    #[test]
    fn only_the_canonical_form_parses() {
        for bad in [
            "",
            "0",
            "+0000000000000000000000000000000",
            "0000000000000000000000000000000A",
            "0x000000000000000000000000000000",
            " 0000000000000000000000000000000",
            "000000000000000000000000000000000",
            "00000000000000000000000000000é",
        ] {
            assert!(bad.parse::<NodeId>().is_err(), "{bad:?} parsed");
        }
    }
}
