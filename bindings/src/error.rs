//! Errors at the bindings' boundary.

/// What can go wrong converting between Rust values and yrs values.
#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    /// A value could not be turned into a yrs value (`yrs::Any`).
    #[error("cannot store this value in a yrs document: {0}")]
    Serialize(String),
    /// A stored value does not have the shape the caller asked for.
    #[error("the stored value does not match the requested type: {0}")]
    Deserialize(String),
    /// A collection record must serialize to a map (a struct or a map), one field per entry.
    #[error("collection records must serialize to a map of fields, got {0}")]
    NotARecord(String),
}
