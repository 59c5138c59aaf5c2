//! What the IndexedDB browser tests share: fresh database names, edits of one transaction
//! each (one stored row each), and the content of a document in comparable form.
#![allow(dead_code)]

use std::collections::BTreeMap;

use yrs::types::ToJson;
use yrs::{Any, Array, ArrayRef, Doc, GetString, Map, MapRef, Text, TextRef, Transact};

/// A database name no other test (or earlier run in the same profile) uses.
pub fn unique_name(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 1e9) as u64
    )
}

/// One edit, applied in a transaction of its own; the same kinds as the JS helpers of
/// `interop/browser/entry.mjs` use.
#[derive(Debug, Clone)]
pub enum Op {
    /// Insert a string into text `text`.
    Text(u32, &'static str),
    /// Delete a range of text `text`.
    TextDelete(u32, u32),
    /// Set a string in map `map`.
    Map(String, String),
    /// Set a number in map `map`.
    MapNumber(String, f64),
    /// Push a string onto array `array`.
    Array(String),
    /// Delete a range of array `array`.
    ArrayDelete(u32, u32),
}

impl Op {
    /// The op as the JS helpers take it (`['text', 0, 'abc']`, …).
    pub fn to_js(&self) -> wasm_bindgen::JsValue {
        use wasm_bindgen::JsValue;
        let parts: Vec<JsValue> = match self {
            Op::Text(index, text) => vec!["text".into(), (*index).into(), (*text).into()],
            Op::TextDelete(index, len) => {
                vec!["textDelete".into(), (*index).into(), (*len).into()]
            }
            Op::Map(key, value) => vec!["map".into(), key.into(), value.into()],
            Op::MapNumber(key, value) => vec!["map".into(), key.into(), (*value).into()],
            Op::Array(value) => vec!["array".into(), value.into()],
            Op::ArrayDelete(index, len) => {
                vec!["arrayDelete".into(), (*index).into(), (*len).into()]
            }
        };
        parts.into_iter().collect::<js_sys::Array>().into()
    }
}

/// Ops as a JS array.
pub fn ops_to_js(ops: &[Op]) -> js_sys::Array {
    ops.iter().map(Op::to_js).collect()
}

fn text(doc: &Doc) -> TextRef {
    doc.get_or_insert_text("text")
}

fn map(doc: &Doc) -> MapRef {
    doc.get_or_insert_map("map")
}

fn array(doc: &Doc) -> ArrayRef {
    doc.get_or_insert_array("array")
}

/// Applies each op in a transaction of its own.
pub fn apply(doc: &Doc, ops: &[Op]) {
    let (text, map, array) = (text(doc), map(doc), array(doc));
    for op in ops {
        let mut txn = doc.transact_mut();
        match op {
            Op::Text(index, value) => text.insert(&mut txn, *index, value),
            Op::TextDelete(index, len) => text.remove_range(&mut txn, *index, *len),
            Op::Map(key, value) => {
                map.insert(&mut txn, key.as_str(), value.as_str());
            }
            Op::MapNumber(key, value) => {
                map.insert(&mut txn, key.as_str(), *value);
            }
            Op::Array(value) => {
                array.push_back(&mut txn, value.as_str());
            }
            Op::ArrayDelete(index, len) => array.remove_range(&mut txn, *index, *len),
        }
    }
}

/// A mixed workload of text, map and array edits: `count` ops.
pub fn sample_ops(tag: &str, count: usize) -> Vec<Op> {
    let mut ops = Vec::with_capacity(count);
    for i in 0..count {
        ops.push(match i % 6 {
            0 => Op::Text(0, "ab"),
            1 => Op::Map(format!("{tag}-{i}"), format!("value {i}")),
            2 => Op::Array(format!("{tag}-item-{i}")),
            3 => Op::TextDelete(0, 1),
            4 => Op::MapNumber(format!("{tag}-n"), i as f64),
            _ => Op::Text(1, "xyz"),
        });
    }
    ops
}

/// What a document holds in the shared types the tests edit.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub text: String,
    pub map: BTreeMap<String, Any>,
    pub array: Vec<Any>,
}

/// The content of `doc`.
pub fn content(doc: &Doc) -> Content {
    let (text, map, array) = (text(doc), map(doc), array(doc));
    let txn = doc.transact();
    Content {
        text: text.get_string(&txn),
        map: map
            .iter(&txn)
            .map(|(key, value)| (key.to_string(), value.to_json(&txn)))
            .collect(),
        array: array.iter(&txn).map(|value| value.to_json(&txn)).collect(),
    }
}

/// A document as a browser app makes it (32-bit client id, UTF-16 offsets).
pub fn new_doc() -> Doc {
    Doc::with_options(yrs::Options {
        client_id: yrs::ClientID::new((js_sys::Math::random() * f64::from(u32::MAX)) as u64),
        offset_kind: yrs::OffsetKind::Utf16,
        ..yrs::Options::default()
    })
}
