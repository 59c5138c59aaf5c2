//! `ycord-persistence` — where ycord keeps documents.
//!
//! One [`DocStore`] trait, implemented by every backend. A document is stored as the list of
//! v1 updates appended to it, each with a sequence number; compaction replaces a prefix of
//! that list by one snapshot update, atomically.
#![warn(missing_docs)]

mod error;
mod memory;
mod store;

pub use error::StoreError;
pub use memory::MemoryStore;
pub use store::{DocInfo, DocStore, StoredUpdate};
