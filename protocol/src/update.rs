//! Complete validation of Yjs v1 updates before they reach a document.
//!
//! yrs decodes lazily and leniently: structs it cannot integrate yet (their dependencies are
//! missing) are kept as they arrived and only re-read later, some fields are read differently
//! from yjs (a content tag is masked to four bits, an XML hook's name is not read, JSON content
//! is read one string too far), and debug builds assert on out-of-range ids. A server that
//! relays the bytes it received must therefore know, before it applies them, that yjs 13.6
//! and yrs read those bytes as the same structs. [`validate_update_v1`] reads every field the
//! way yjs's `readClientsStructRefs` and `readDeleteSet` do and refuses:
//! - anything that does not decode completely (truncated, trailing bytes, a length past the end),
//! - strings that are not UTF-8 and JSON that yrs cannot parse,
//! - numbers the two libraries read differently: overlong varints, ids above 2^53 − 1,
//!   clocks past 2^32 (yrs's clock is 32 bits), content and type tags yjs does not define,
//! - encodings yjs 13 never writes and yrs reads differently: JSON content (Yjs 12) and XML
//!   hooks,
//! - shapes no Yjs encoder writes and that break a reader: empty structs and delete ranges, a
//!   client listed twice, a struct referring to a later struct of its own client (yjs throws
//!   while integrating it), `Any` values nested deeper than [`MAX_ANY_DEPTH`].

use std::collections::HashSet;

use crate::error::DecodeError;
use crate::reader::Reader;

/// How deeply `Any` arrays and maps may nest. Readers and writers of `Any` recurse (yrs
/// without a limit), so a hostile nesting of a few thousand levels would overflow a stack.
pub const MAX_ANY_DEPTH: usize = 128;

/// A v1 update that [`validate_update_v1`] accepted: yjs and yrs decode it to the same structs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidUpdate<'a> {
    bytes: &'a [u8],
}

impl<'a> ValidUpdate<'a> {
    /// The update's bytes, exactly as validated.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// Checks that `bytes` is one complete Yjs v1 update that yjs 13.6 and yrs read alike.
///
/// Cost is one pass over the bytes, allocating only a set of client ids.
///
/// # Errors
/// [`DecodeError::Truncated`] when the bytes end inside a field, [`DecodeError::Malformed`]
/// naming the field otherwise.
pub fn validate_update_v1(bytes: &[u8]) -> Result<ValidUpdate<'_>, DecodeError> {
    let mut reader = Reader::new(bytes);
    read_structs(&mut reader)?;
    read_delete_set(&mut reader)?;
    reader.expect_end("update")?;
    Ok(ValidUpdate { bytes })
}

/// Struct and content tags (the low five bits of a struct's info byte).
mod tag {
    pub const GC: u8 = 0;
    pub const DELETED: u8 = 1;
    pub const JSON: u8 = 2;
    pub const BINARY: u8 = 3;
    pub const STRING: u8 = 4;
    pub const EMBED: u8 = 5;
    pub const FORMAT: u8 = 6;
    pub const TYPE: u8 = 7;
    pub const ANY: u8 = 8;
    pub const DOC: u8 = 9;
    pub const SKIP: u8 = 10;
}

const HAS_ORIGIN: u8 = 0x80;
const HAS_RIGHT_ORIGIN: u8 = 0x40;
const HAS_PARENT_SUB: u8 = 0x20;
const CONTENT_BITS: u8 = 0x1f;

/// Shared type tags of a `Type` content.
mod type_ref {
    pub const ARRAY: u8 = 0;
    pub const MAP: u8 = 1;
    pub const TEXT: u8 = 2;
    pub const XML_ELEMENT: u8 = 3;
    pub const XML_FRAGMENT: u8 = 4;
    pub const XML_HOOK: u8 = 5;
    pub const XML_TEXT: u8 = 6;
}

fn read_structs(reader: &mut Reader<'_>) -> Result<(), DecodeError> {
    // A client's section is at least three bytes: struct count, client id, first clock.
    let sections = reader.var_len("update client count", 3)?;
    let mut clients = HashSet::with_capacity(sections);
    for _ in 0..sections {
        // Every struct is at least two bytes: its info byte and a length or content.
        let structs = reader.var_len("struct count", 2)?;
        let client = reader.raw_client_id("struct client id")?;
        if !clients.insert(client) {
            return Err(DecodeError::malformed(
                "struct client id",
                format!("client {client} has two sections"),
            ));
        }
        if structs == 0 {
            return Err(DecodeError::malformed(
                "struct count",
                format!("client {client} has an empty section"),
            ));
        }
        let mut clock = u64::from(reader.var_u32("struct clock")?);
        for _ in 0..structs {
            let len = read_struct(reader, client, clock)?;
            clock += len;
            if clock > u64::from(u32::MAX) {
                return Err(DecodeError::malformed(
                    "struct length",
                    format!("client {client}'s clock passes 2^32"),
                ));
            }
        }
    }
    Ok(())
}

/// Reads one struct at `(client, clock)`; returns its length in clock ticks.
fn read_struct(reader: &mut Reader<'_>, client: u64, clock: u64) -> Result<u64, DecodeError> {
    let info = reader.u8("struct info")?;
    let content = info & CONTENT_BITS;
    let len = match content {
        tag::GC | tag::SKIP => {
            if info != content {
                return Err(DecodeError::malformed(
                    "struct info",
                    format!("flags {info:#04x} on a gc or skip struct"),
                ));
            }
            u64::from(reader.var_u32("struct length")?)
        }
        tag::JSON => {
            return Err(DecodeError::malformed(
                "struct content",
                "JSON content (Yjs 12's encoding) is not accepted",
            ))
        }
        tag::DELETED..=tag::DOC => {
            if info & HAS_ORIGIN != 0 {
                read_reference(reader, "origin", client, clock)?;
            }
            if info & HAS_RIGHT_ORIGIN != 0 {
                read_reference(reader, "right origin", client, clock)?;
            }
            if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
                match reader.var_uint("parent info")? {
                    1 => {
                        reader.var_string("parent type name")?;
                    }
                    0 => read_reference(reader, "parent", client, clock)?,
                    other => {
                        return Err(DecodeError::malformed(
                            "parent info",
                            format!("{other} is neither 0 nor 1"),
                        ))
                    }
                }
                if info & HAS_PARENT_SUB != 0 {
                    reader.var_string("parent key")?;
                }
            }
            read_content(reader, content)?
        }
        other => {
            return Err(DecodeError::malformed(
                "struct info",
                format!("unknown content tag {other}"),
            ))
        }
    };
    if len == 0 {
        return Err(DecodeError::malformed(
            "struct length",
            format!("empty struct at {client}:{clock}"),
        ));
    }
    Ok(len)
}

/// An id another struct points at. Within its own client a struct can only refer to structs
/// written before it: yjs looks such an id up without checking that it exists and throws.
fn read_reference(
    reader: &mut Reader<'_>,
    field: &'static str,
    client: u64,
    clock: u64,
) -> Result<(), DecodeError> {
    let target_client = reader.raw_client_id(field)?;
    let target_clock = reader.var_u32(field)?;
    if target_client == client && u64::from(target_clock) >= clock {
        return Err(DecodeError::malformed(
            field,
            format!("{client}:{clock} refers to its own later clock {target_clock}"),
        ));
    }
    Ok(())
}

/// Reads an item's content; returns its length in clock ticks.
fn read_content(reader: &mut Reader<'_>, content: u8) -> Result<u64, DecodeError> {
    Ok(match content {
        tag::DELETED => u64::from(reader.var_u32("deleted length")?),
        tag::BINARY => {
            reader.var_bytes("binary content")?;
            1
        }
        tag::STRING => {
            let text = reader.var_string("string content")?;
            // Clocks count UTF-16 code units, as JavaScript strings do.
            text.encode_utf16().count() as u64
        }
        tag::EMBED => {
            read_json(reader, "embed content")?;
            1
        }
        tag::FORMAT => {
            reader.var_string("format key")?;
            read_json(reader, "format value")?;
            1
        }
        tag::TYPE => {
            read_type_ref(reader)?;
            1
        }
        tag::ANY => {
            let values = reader.var_len("any content length", 1)?;
            for _ in 0..values {
                read_any(reader, 0)?;
            }
            values as u64
        }
        tag::DOC => {
            reader.var_string("subdocument guid")?;
            // yjs spreads these options into the subdocument's: they must be a map.
            if reader.u8("subdocument options")? != any_tag::MAP {
                return Err(DecodeError::malformed("subdocument options", "not a map"));
            }
            read_any_map(reader, 1)?;
            1
        }
        _ => unreachable!("content tags are matched by the caller"),
    })
}

fn read_type_ref(reader: &mut Reader<'_>) -> Result<(), DecodeError> {
    // yjs reads a varUint, yrs one byte: the same only below 128, where all tags are.
    match reader.u8("shared type")? {
        type_ref::XML_ELEMENT => {
            reader.var_string("xml element name")?;
        }
        type_ref::ARRAY
        | type_ref::MAP
        | type_ref::TEXT
        | type_ref::XML_FRAGMENT
        | type_ref::XML_TEXT => {}
        type_ref::XML_HOOK => {
            return Err(DecodeError::malformed(
                "shared type",
                "xml hooks are not accepted (yrs does not read their name)",
            ))
        }
        other => {
            return Err(DecodeError::malformed(
                "shared type",
                format!("unknown type tag {other}"),
            ))
        }
    }
    Ok(())
}

/// A JSON string as embeds and formats carry it: yjs parses it with `JSON.parse`, yrs with
/// serde_json (which also bounds its nesting).
fn read_json(reader: &mut Reader<'_>, field: &'static str) -> Result<(), DecodeError> {
    let json = reader.var_string(field)?;
    yrs::Any::from_json(json)
        .map(drop)
        .map_err(|err| DecodeError::malformed(field, err.to_string()))
}

/// lib0 `Any` tags.
mod any_tag {
    pub const UNDEFINED: u8 = 127;
    pub const NULL: u8 = 126;
    pub const INTEGER: u8 = 125;
    pub const FLOAT32: u8 = 124;
    pub const FLOAT64: u8 = 123;
    pub const BIGINT: u8 = 122;
    pub const FALSE: u8 = 121;
    pub const TRUE: u8 = 120;
    pub const STRING: u8 = 119;
    pub const MAP: u8 = 118;
    pub const ARRAY: u8 = 117;
    pub const BUFFER: u8 = 116;
}

fn read_any(reader: &mut Reader<'_>, depth: usize) -> Result<(), DecodeError> {
    match reader.u8("any tag")? {
        any_tag::UNDEFINED | any_tag::NULL | any_tag::FALSE | any_tag::TRUE => {}
        any_tag::INTEGER => {
            reader.var_int("any integer")?;
        }
        any_tag::FLOAT32 => {
            reader.fixed("any float32", 4)?;
        }
        any_tag::FLOAT64 => {
            reader.fixed("any float64", 8)?;
        }
        any_tag::BIGINT => {
            reader.fixed("any bigint", 8)?;
        }
        any_tag::STRING => {
            reader.var_string("any string")?;
        }
        any_tag::MAP => read_any_map(reader, depth + 1)?,
        any_tag::ARRAY => {
            check_depth(depth + 1)?;
            let len = reader.var_len("any array length", 1)?;
            for _ in 0..len {
                read_any(reader, depth + 1)?;
            }
        }
        any_tag::BUFFER => {
            reader.var_bytes("any buffer")?;
        }
        other => {
            return Err(DecodeError::malformed(
                "any tag",
                format!("unknown tag {other}"),
            ))
        }
    }
    Ok(())
}

/// The entries of an `Any` map whose tag was already read.
fn read_any_map(reader: &mut Reader<'_>, depth: usize) -> Result<(), DecodeError> {
    check_depth(depth)?;
    // Each entry is at least a key length and a value tag.
    let len = reader.var_len("any map length", 2)?;
    for _ in 0..len {
        reader.var_string("any map key")?;
        read_any(reader, depth)?;
    }
    Ok(())
}

fn check_depth(depth: usize) -> Result<(), DecodeError> {
    if depth > MAX_ANY_DEPTH {
        return Err(DecodeError::malformed(
            "any value",
            format!("nested deeper than {MAX_ANY_DEPTH} levels"),
        ));
    }
    Ok(())
}

fn read_delete_set(reader: &mut Reader<'_>) -> Result<(), DecodeError> {
    // A client's entry is at least its id and a range count.
    let entries = reader.var_len("delete set client count", 2)?;
    let mut clients = HashSet::with_capacity(entries);
    for _ in 0..entries {
        let client = reader.raw_client_id("delete set client id")?;
        if !clients.insert(client) {
            return Err(DecodeError::malformed(
                "delete set client id",
                format!("client {client} is listed twice"),
            ));
        }
        let ranges = reader.var_len("delete range count", 2)?;
        for _ in 0..ranges {
            let clock = reader.var_u32("delete range clock")?;
            let len = reader.var_u32("delete range length")?;
            if len == 0 {
                return Err(DecodeError::malformed(
                    "delete range length",
                    format!("empty range at {client}:{clock}"),
                ));
            }
            if u64::from(clock) + u64::from(len) > u64::from(u32::MAX) {
                return Err(DecodeError::malformed(
                    "delete range length",
                    format!("range at {client}:{clock} passes 2^32"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
