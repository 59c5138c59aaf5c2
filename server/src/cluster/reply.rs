//! Reading Redis replies (`XREAD`, `XRANGE`, `XINFO STREAM`, `INFO server`) into ycord's
//! types. Replies are checked shape by shape: what does not fit is an error, never a panic.
//! Both RESP2 (arrays of pairs) and RESP3 (maps) are accepted.

use redis::Value;

use super::entry::{EntryError, StreamEntry};
use super::position::StreamInfo;
use super::stream_id::StreamId;

/// A reply that does not have the shape its command documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected Redis reply: {0}")]
pub(crate) struct ReplyError(pub(crate) String);

/// One entry as Redis returned it: its id and its field/value pairs, not yet decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawEntry {
    /// The entry's id.
    pub(crate) id: StreamId,
    /// Field/value pairs in the order Redis returned them.
    pub(crate) fields: Vec<(Vec<u8>, Vec<u8>)>,
}

impl RawEntry {
    /// The entry its fields make, with a payload of at most `max_payload` bytes.
    pub(crate) fn decode(&self, max_payload: usize) -> Result<StreamEntry, EntryError> {
        let fields = self
            .fields
            .iter()
            .map(|(name, value)| (name.as_slice(), value.as_slice()));
        StreamEntry::decode(fields, max_payload)
    }
}

/// The entries of an `XRANGE` reply (or of one stream of an `XREAD` reply).
pub(crate) fn entries(value: Value) -> Result<Vec<RawEntry>, ReplyError> {
    list(value, "a list of entries")?
        .into_iter()
        .map(|entry| {
            let [id, fields]: [Value; 2] = list(entry, "an entry")?
                .try_into()
                .map_err(|_| unexpected("an entry of id and fields"))?;
            let id = text(id, "an entry id")?
                .parse()
                .map_err(|err| ReplyError(format!("{err}")))?;
            let fields = list(fields, "an entry's fields")?;
            if fields.len() % 2 != 0 {
                return Err(unexpected("field/value pairs"));
            }
            let mut values = fields.into_iter();
            let mut pairs = Vec::with_capacity(values.len() / 2);
            while let (Some(name), Some(value)) = (values.next(), values.next()) {
                pairs.push((bytes(name, "a field name")?, bytes(value, "a field value")?));
            }
            Ok(RawEntry { id, fields: pairs })
        })
        .collect()
}

/// One stream of an `XREAD` reply: its key and the entries read from it.
pub(crate) type KeyedEntries = (Vec<u8>, Vec<RawEntry>);

/// The streams of an `XREAD` reply; empty when `BLOCK` timed out.
pub(crate) fn streams(value: Value) -> Result<Vec<KeyedEntries>, ReplyError> {
    nested_pairs(value, "a list of streams")?
        .into_iter()
        .map(|(key, stream)| Ok((bytes(key, "a stream key")?, entries(stream)?)))
        .collect()
}

/// The fields of `XINFO STREAM` that position checks need (Redis 7.0 or newer).
pub(crate) fn stream_info(value: Value) -> Result<StreamInfo, ReplyError> {
    let (mut last_generated, mut first_retained, mut max_deleted) = (None, None, None);
    for (name, value) in flat_pairs(value, "XINFO STREAM fields")? {
        match bytes(name, "a field name")?.as_slice() {
            b"last-generated-id" => last_generated = Some(id(value)?),
            b"max-deleted-entry-id" => max_deleted = Some(id(value)?),
            b"first-entry" => {
                first_retained = Some(match value {
                    Value::Nil => None,
                    entry => entries(Value::Array(vec![entry]))?
                        .pop()
                        .map(|entry| entry.id),
                })
            }
            _ => {}
        }
    }
    match (last_generated, first_retained, max_deleted) {
        (Some(last_generated), Some(first_retained), Some(max_deleted)) => Ok(StreamInfo {
            last_generated,
            first_retained,
            max_deleted,
        }),
        _ => Err(ReplyError(
            "XINFO STREAM lacks last-generated-id, first-entry or max-deleted-entry-id: \
             the cluster mode needs Redis 7.0 or newer"
                .into(),
        )),
    }
}

/// The `run_id` line of `INFO server`: it changes whenever the server restarts.
pub(crate) fn run_id(info: &str) -> Option<&str> {
    info.lines()
        .find_map(|line| line.strip_prefix("run_id:"))
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

fn id(value: Value) -> Result<StreamId, ReplyError> {
    text(value, "a stream id")?
        .parse()
        .map_err(|err| ReplyError(format!("{err}")))
}

fn list(value: Value, what: &str) -> Result<Vec<Value>, ReplyError> {
    match value {
        Value::Array(items) | Value::Set(items) => Ok(items),
        Value::Nil => Ok(Vec::new()),
        _ => Err(unexpected(what)),
    }
}

/// A RESP3 map, or RESP2's list of two-item lists (`XREAD`).
fn nested_pairs(value: Value, what: &str) -> Result<Vec<(Value, Value)>, ReplyError> {
    match value {
        Value::Map(pairs) => Ok(pairs),
        Value::Nil => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|item| {
                let [name, value]: [Value; 2] =
                    list(item, what)?.try_into().map_err(|_| unexpected(what))?;
                Ok((name, value))
            })
            .collect(),
        _ => Err(unexpected(what)),
    }
}

/// A RESP3 map, or RESP2's flat list of alternating names and values (`XINFO`).
fn flat_pairs(value: Value, what: &str) -> Result<Vec<(Value, Value)>, ReplyError> {
    match value {
        Value::Map(pairs) => Ok(pairs),
        Value::Array(items) if items.len() % 2 == 0 => {
            let mut values = items.into_iter();
            let mut pairs = Vec::with_capacity(values.len() / 2);
            while let (Some(name), Some(value)) = (values.next(), values.next()) {
                pairs.push((name, value));
            }
            Ok(pairs)
        }
        _ => Err(unexpected(what)),
    }
}

fn bytes(value: Value, what: &str) -> Result<Vec<u8>, ReplyError> {
    match value {
        Value::BulkString(bytes) => Ok(bytes),
        Value::SimpleString(text) => Ok(text.into_bytes()),
        _ => Err(unexpected(what)),
    }
}

fn text(value: Value, what: &str) -> Result<String, ReplyError> {
    String::from_utf8(bytes(value, what)?).map_err(|_| unexpected(what))
}

fn unexpected(what: &str) -> ReplyError {
    ReplyError(format!("expected {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn entry(id: &str, fields: &[&str]) -> Value {
        Value::Array(vec![
            bulk(id),
            Value::Array(fields.iter().map(|field| bulk(field)).collect()),
        ])
    }

    #[test]
    fn xread_replies_in_resp2_and_resp3_read_the_same() {
        let entries = || Value::Array(vec![entry("1-0", &["kind", "update"]), entry("2-5", &[])]);
        let resp2 = Value::Array(vec![Value::Array(vec![bulk("ycord:room:a"), entries()])]);
        let resp3 = Value::Map(vec![(bulk("ycord:room:a"), entries())]);
        let expected = vec![(
            b"ycord:room:a".to_vec(),
            vec![
                RawEntry {
                    id: StreamId {
                        millis: 1,
                        sequence: 0,
                    },
                    fields: vec![(b"kind".to_vec(), b"update".to_vec())],
                },
                RawEntry {
                    id: StreamId {
                        millis: 2,
                        sequence: 5,
                    },
                    fields: vec![],
                },
            ],
        )];
        assert_eq!(streams(resp2), Ok(expected.clone()));
        assert_eq!(streams(resp3), Ok(expected));
        assert_eq!(streams(Value::Nil), Ok(vec![]));
    }

    #[test]
    fn misshapen_replies_are_errors() {
        let odd_fields = Value::Array(vec![entry("1-0", &["kind"])]);
        assert!(entries(odd_fields).is_err());
        assert!(entries(Value::Array(vec![entry("x", &[])])).is_err());
        assert!(entries(Value::Array(vec![Value::Array(vec![bulk("1-0")])])).is_err());
        assert!(entries(Value::Int(3)).is_err());
        let non_bytes = Value::Array(vec![Value::Array(vec![
            bulk("1-0"),
            Value::Array(vec![bulk("kind"), Value::Int(1)]),
        ])]);
        assert!(entries(non_bytes).is_err());
        assert!(streams(Value::Okay).is_err());
    }

    #[test]
    fn xinfo_needs_the_fields_of_redis_7() {
        let redis7 = Value::Array(vec![
            bulk("length"),
            Value::Int(2),
            bulk("last-generated-id"),
            bulk("9-1"),
            bulk("max-deleted-entry-id"),
            bulk("3-0"),
            bulk("first-entry"),
            entry("4-0", &[]),
        ]);
        assert_eq!(
            stream_info(redis7),
            Ok(StreamInfo {
                last_generated: StreamId {
                    millis: 9,
                    sequence: 1
                },
                first_retained: Some(StreamId {
                    millis: 4,
                    sequence: 0
                }),
                max_deleted: StreamId {
                    millis: 3,
                    sequence: 0
                },
            })
        );
        let emptied = Value::Map(vec![
            (bulk("last-generated-id"), bulk("9-1")),
            (bulk("max-deleted-entry-id"), bulk("0-0")),
            (bulk("first-entry"), Value::Nil),
        ]);
        assert_eq!(stream_info(emptied).unwrap().first_retained, None);
        let redis6 = Value::Array(vec![
            bulk("last-generated-id"),
            bulk("9-1"),
            bulk("first-entry"),
            Value::Nil,
        ]);
        assert!(stream_info(redis6).is_err());
    }

    #[test]
    fn run_id_is_read_from_info_server() {
        let info = "# Server\r\nredis_version:7.0.15\r\nrun_id:abc123\r\ntcp_port:6379\r\n";
        assert_eq!(run_id(info), Some("abc123"));
        assert_eq!(run_id("# Server\r\n"), None);
    }
}
