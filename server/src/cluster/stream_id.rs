//! Redis stream entry ids (`<milliseconds>-<sequence>`), the position a reader keeps per room.

use std::fmt;
use std::str::FromStr;

/// An entry id of a Redis stream. Ids only grow within one stream, but they are not dense:
/// the next entry after `5-0` may be `9-0`, so a gap between two ids says nothing about
/// missing entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct StreamId {
    /// Milliseconds part (the server's clock when the entry was added).
    pub(crate) millis: u64,
    /// Sequence within the same millisecond.
    pub(crate) sequence: u64,
}

impl StreamId {
    /// `0-0`: before every entry, so reading from it returns the whole retained stream.
    pub(crate) const ZERO: StreamId = StreamId {
        millis: 0,
        sequence: 0,
    };
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.millis, self.sequence)
    }
}

/// A stream id that is not `<digits>-<digits>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a stream entry id is <milliseconds>-<sequence>, not {0:?}")]
pub(crate) struct BadStreamId(pub(crate) String);

impl FromStr for StreamId {
    type Err = BadStreamId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadStreamId(text.chars().take(64).collect());
        let (millis, sequence) = text.split_once('-').ok_or_else(bad)?;
        let number = |part: &str| {
            if part.is_empty() || !part.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse::<u64>().map_err(|_| bad())
        };
        Ok(StreamId {
            millis: number(millis)?,
            sequence: number(sequence)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_order_by_millis_then_sequence() {
        let ids: Vec<StreamId> = ["0-0", "5-0", "5-1", "5-10", "6-0", "18446744073709551615-7"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(ids[3].to_string(), "5-10");
        assert_eq!(ids[0], StreamId::ZERO);
    }

    #[test]
    fn anything_but_two_decimal_numbers_is_rejected() {
        for bad in [
            "",
            "5",
            "5-",
            "-5",
            "5-1-2",
            "+5-1",
            "5--1",
            "a-1",
            "5 -1",
            "99999999999999999999-0",
            "$",
            "*",
            ">",
        ] {
            assert!(bad.parse::<StreamId>().is_err(), "{bad:?} parsed");
        }
    }
}
