//! A document's root types as JSON, for `GET /api/rooms/{room}?format=json`.
//!
//! The server never declares root types (it only relays updates), so yrs knows them only as
//! untyped branches; their kind is inferred from their content, as Yjs does for a document
//! whose types were never requested.

use serde_json::Value;
use yrs::branch::BranchPtr;
use yrs::types::ToJson;
use yrs::{Any, Array, ArrayRef, Doc, GetString, Map, MapRef, Out, ReadTxn, TextRef, Transact};

/// `{ root name: JSON value }` for every root type of `doc`.
pub fn doc_to_json(doc: &Doc) -> Value {
    let txn = doc.transact();
    let mut roots = serde_json::Map::new();
    for (name, out) in txn.root_refs() {
        let value = match out {
            Out::UndefinedRef(branch) => untyped_to_json(branch, &txn),
            other => any_to_json(other.to_json(&txn)),
        };
        roots.insert(name.to_owned(), value);
    }
    Value::Object(roots)
}

fn untyped_to_json<T: ReadTxn>(branch: BranchPtr, txn: &T) -> Value {
    let has_entries = Map::len(&MapRef::from(branch), txn) > 0;
    let has_items = ArrayRef::from(branch).len(txn) > 0;
    if has_entries && !has_items {
        return any_to_json(MapRef::from(branch).to_json(txn));
    }
    if !has_items {
        return Value::Null;
    }
    let text = TextRef::from(branch);
    let string = text.get_string(txn);
    let array = ArrayRef::from(branch).to_json(txn);
    // A text's items are strings; an array's are values. A text reads back as a non-empty
    // string, an array of values reads back as an empty string.
    if string.is_empty() {
        any_to_json(array)
    } else {
        Value::String(string)
    }
}

fn any_to_json(any: Any) -> Value {
    serde_json::to_value(&any).unwrap_or(Value::Null)
}
