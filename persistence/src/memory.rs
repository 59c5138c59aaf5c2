//! An in-memory store for tests and throwaway servers (`ycord --ephemeral`).

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::StoreError;
use crate::store::{DocInfo, DocStore, StoredUpdate};

/// Documents in a map; gone when the process ends.
#[derive(Debug, Default)]
pub struct MemoryStore {
    docs: Mutex<BTreeMap<String, Vec<StoredUpdate>>>,
    next_seq: Mutex<u64>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl DocStore for MemoryStore {
    async fn load(&self, doc: &str) -> Result<Vec<StoredUpdate>, StoreError> {
        Ok(self
            .docs
            .lock()
            .expect("memory store lock")
            .get(doc)
            .cloned()
            .unwrap_or_default())
    }

    async fn append_batch(&self, batch: &[(&str, Bytes)]) -> Result<Vec<u64>, StoreError> {
        let mut docs = self.docs.lock().expect("memory store lock");
        let mut next_seq = self.next_seq.lock().expect("memory store lock");
        let mut seqs = Vec::with_capacity(batch.len());
        for (doc, data) in batch {
            *next_seq += 1;
            let seq = *next_seq;
            docs.entry((*doc).to_owned())
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
        let mut docs = self.docs.lock().expect("memory store lock");
        let Some(updates) = docs.get_mut(doc) else {
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

    async fn delete(&self, doc: &str) -> Result<(), StoreError> {
        self.docs.lock().expect("memory store lock").remove(doc);
        Ok(())
    }

    async fn list(&self) -> Result<Vec<DocInfo>, StoreError> {
        Ok(self
            .docs
            .lock()
            .expect("memory store lock")
            .iter()
            .map(|(name, updates)| DocInfo {
                name: name.clone(),
                updates: updates.len() as u64,
                bytes: updates.iter().map(|u| u.data.len() as u64).sum(),
            })
            .collect())
    }
}
