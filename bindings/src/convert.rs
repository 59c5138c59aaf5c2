//! serde ↔ yrs values.

use serde::de::DeserializeOwned;
use serde::Serialize;
use yrs::encoding::serde::{from_any, to_any};
use yrs::types::ToJson;
use yrs::{Any, Out, ReadTxn};

use crate::error::BindingError;

/// Serializes `value` into a yrs value.
pub(crate) fn any_of<T: Serialize>(value: &T) -> Result<Any, BindingError> {
    to_any(value).map_err(|e| BindingError::Serialize(e.to_string()))
}

/// Reads a yrs value back as `T`. Shared types (text, maps, arrays) are read as their JSON
/// equivalent first.
pub(crate) fn value_of<T: DeserializeOwned, R: ReadTxn>(
    out: &Out,
    txn: &R,
) -> Result<T, BindingError> {
    let any = match out {
        Out::Any(any) => any.clone(),
        other => other.to_json(txn),
    };
    from_any(&any).map_err(|e| BindingError::Deserialize(e.to_string()))
}
