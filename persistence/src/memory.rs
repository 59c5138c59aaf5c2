//! An in-memory store for tests and throwaway servers (`ycord --ephemeral`).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
#[cfg(not(target_arch = "wasm32"))]
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::StoreError;
use crate::snapshot::{compacted, merge_rows, Merged};
use crate::store::{CompactOutcome, DocInfo, DocStore, QuarantinedUpdate, StoredUpdate};

/// Documents in a map; gone when the process ends.
#[derive(Debug, Default)]
pub struct MemoryStore {
    // One lock for everything, so a move into the quarantine is one atomic step.
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Each document's log, in seq order; a document with no update has no entry.
    docs: BTreeMap<String, Vec<StoredUpdate>>,
    /// Each document's quarantine, by seq; a document with none has no entry.
    quarantine: BTreeMap<String, BTreeMap<u64, QuarantinedUpdate>>,
    /// The last seq handed out.
    last_seq: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("memory store lock")
    }
}

/// Now, in milliseconds since the Unix epoch (0 for a clock set before 1970).
#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// Now, in milliseconds since the Unix epoch; in the browser `SystemTime::now` panics.
#[cfg(target_arch = "wasm32")]
fn now_ms() -> u64 {
    // `as` saturates: a clock before 1970 (negative) reads 0.
    js_sys::Date::now() as u64
}

#[async_trait]
impl DocStore for MemoryStore {
    async fn load(&self, doc: &str) -> Result<Vec<StoredUpdate>, StoreError> {
        Ok(self.state().docs.get(doc).cloned().unwrap_or_default())
    }

    async fn append_batch(&self, batch: &[(&str, Bytes)]) -> Result<Vec<u64>, StoreError> {
        let mut state = self.state();
        let mut seqs = Vec::with_capacity(batch.len());
        for (doc, data) in batch {
            state.last_seq += 1;
            let seq = state.last_seq;
            state
                .docs
                .entry((*doc).to_owned())
                .or_default()
                .push(StoredUpdate {
                    seq,
                    data: data.clone(),
                });
            seqs.push(seq);
        }
        Ok(seqs)
    }

    async fn compact(&self, doc: &str, up_to: u64, snapshot: Bytes) -> Result<(), StoreError> {
        let mut state = self.state();
        let Some(updates) = state.docs.get_mut(doc) else {
            return Ok(());
        };
        let replaced = updates.partition_point(|u| u.seq <= up_to);
        let Some(last_replaced) = replaced.checked_sub(1).map(|last| updates[last].seq) else {
            return Ok(());
        };
        updates.splice(
            ..replaced,
            [StoredUpdate {
                seq: last_replaced,
                data: snapshot,
            }],
        );
        Ok(())
    }

    async fn compact_stored(
        &self,
        doc: &str,
        up_to: Option<u64>,
    ) -> Result<CompactOutcome, StoreError> {
        // Merging under the lock: this store is for tests and throwaway servers.
        let mut state = self.state();
        let Some(updates) = state.docs.get_mut(doc) else {
            return Ok(CompactOutcome::NothingToCompact);
        };
        let read = updates.partition_point(|u| up_to.is_none_or(|up_to| u.seq <= up_to));
        if read < 2 {
            return Ok(CompactOutcome::NothingToCompact);
        }
        let snapshot = match merge_rows(&updates[..read])? {
            Merged::Snapshot(snapshot) => snapshot,
            Merged::Unreadable(unreadable) => return Ok(CompactOutcome::Unreadable(unreadable)),
        };
        let outcome = compacted(&updates[..read], &snapshot);
        let seq = updates[read - 1].seq;
        updates.splice(
            ..read,
            [StoredUpdate {
                seq,
                data: snapshot,
            }],
        );
        Ok(outcome)
    }

    async fn delete(&self, doc: &str) -> Result<(), StoreError> {
        let mut state = self.state();
        state.docs.remove(doc);
        state.quarantine.remove(doc);
        Ok(())
    }

    async fn list(&self) -> Result<Vec<DocInfo>, StoreError> {
        Ok(self
            .state()
            .docs
            .iter()
            .map(|(name, updates)| DocInfo {
                name: name.clone(),
                updates: updates.len() as u64,
                bytes: updates.iter().map(|u| u.data.len() as u64).sum(),
            })
            .collect())
    }

    async fn quarantine(&self, doc: &str, updates: &[(u64, String)]) -> Result<(), StoreError> {
        let quarantined_at_ms = now_ms();
        let mut state = self.state();
        let State {
            docs, quarantine, ..
        } = &mut *state;
        let Some(log) = docs.get_mut(doc) else {
            return Ok(());
        };
        let mut moved = Vec::new();
        for (seq, reason) in updates {
            let Ok(position) = log.binary_search_by_key(seq, |u| u.seq) else {
                continue;
            };
            let StoredUpdate { seq, data } = log.remove(position);
            moved.push(QuarantinedUpdate {
                seq,
                data,
                reason: reason.clone(),
                quarantined_at_ms,
            });
        }
        if log.is_empty() {
            // As in the SQL backends, a document is listed only while its log has updates.
            docs.remove(doc);
        }
        if !moved.is_empty() {
            let aside = quarantine.entry(doc.to_owned()).or_default();
            aside.extend(moved.into_iter().map(|update| (update.seq, update)));
        }
        Ok(())
    }

    async fn quarantined(&self, doc: &str) -> Result<Vec<QuarantinedUpdate>, StoreError> {
        Ok(self
            .state()
            .quarantine
            .get(doc)
            .map(|aside| aside.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn delete_quarantined(&self, doc: &str, seq: u64) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(aside) = state.quarantine.get_mut(doc) else {
            return Ok(false);
        };
        let deleted = aside.remove(&seq).is_some();
        if aside.is_empty() {
            state.quarantine.remove(doc);
        }
        Ok(deleted)
    }
}
