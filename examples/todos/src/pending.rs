//! Pending changes: edits made while the server did not have the room's state.
//!
//! y-websocket's protocol has no acknowledgements. An edit made while synced is sent at once;
//! one made before that is sent in the exchange that makes the provider synced again. So the
//! count of edits made while not synced, reset when the provider is synced, is what the server
//! does not have yet. It is kept in `localStorage`, as the edits themselves are kept in
//! IndexedDB, so a reload while offline still shows them as pending.

use leptos::prelude::*;

/// The pending-changes count of `room` as a signal, with a way to count one more.
#[derive(Clone, Copy)]
pub struct Pending {
    count: RwSignal<u32>,
    key: StoredValue<String>,
}

impl Pending {
    /// The count remembered for `room` (zero for a room never edited offline here).
    pub fn new(room: &str) -> Self {
        let key = format!("ycord-todos/{room}/pending");
        let count = storage()
            .and_then(|storage| storage.get_item(&key).ok().flatten())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        Self {
            count: RwSignal::new(count),
            key: StoredValue::new(key),
        }
    }

    pub fn count(&self) -> Signal<u32> {
        self.count.into()
    }

    /// Called after each local edit.
    pub fn edited(&self, synced: bool) {
        if !synced {
            self.set(self.count.get_untracked() + 1);
        }
    }

    /// Called when the provider becomes synced: the server has everything.
    pub fn synced(&self) {
        self.set(0);
    }

    fn set(&self, count: u32) {
        self.count.set(count);
        if let Some(storage) = storage() {
            let _ = storage.set_item(&self.key.get_value(), &count.to_string());
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
