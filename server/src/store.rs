//! Where a room's document goes when the room is unloaded. In memory for now: content
//! survives a room being unloaded and reloaded, not a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Documents by room name, each as one v1 update.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    docs: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

impl MemoryStore {
    /// The stored state of `room`, if any.
    pub fn load(&self, room: &str) -> Option<Vec<u8>> {
        self.docs.lock().expect("store lock").get(room).cloned()
    }

    /// Replaces the stored state of `room`.
    pub fn save(&self, room: &str, state: Vec<u8>) {
        self.docs
            .lock()
            .expect("store lock")
            .insert(room.to_owned(), state);
    }
}
