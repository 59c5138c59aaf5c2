//! Compacting a room's stored log in the background: the document is encoded off the async
//! workers and the store replaces the log with that snapshot, while the room carries on.
//! In a cluster other nodes append to the same log, so the snapshot is merged from the
//! stored rows instead ([`DocStore::compact_stored`], under the store's per-document lock).
//! [`super::stored_log::StoredLog`] decides when.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::oneshot;
use ycord_persistence::{CompactOutcome, DocStore, StoreError};
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::stored_log::Replaced;

/// What a finished compaction replaced, and the snapshot's size in bytes.
pub(crate) type CompactionResult = Result<(Replaced, u64), StoreError>;

/// At most one compaction of one room's log at a time.
#[derive(Default)]
pub(crate) struct Compactor {
    running: Option<oneshot::Receiver<CompactionResult>>,
}

impl Compactor {
    /// Whether a compaction is in flight.
    pub(crate) fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Starts replacing `replaced` in `name`'s log with a snapshot of `doc`.
    pub(crate) fn start(
        &mut self,
        doc: Doc,
        store: Arc<dyn DocStore>,
        name: Arc<str>,
        replaced: Replaced,
    ) {
        self.run(async move {
            // Everything up to `up_to` is already in the document, so the snapshot covers it;
            // it may also hold later updates, which is harmless: applying twice is a no-op.
            let encoded = tokio::task::spawn_blocking(move || {
                doc.transact()
                    .encode_state_as_update_v1(&StateVector::default())
            })
            .await;
            match encoded {
                Ok(snapshot) => {
                    let size = snapshot.len() as u64;
                    store
                        .compact(&name, replaced.up_to, Bytes::from(snapshot))
                        .await
                        .map(|()| (replaced, size))
                }
                Err(err) => Err(StoreError::Unavailable(format!("encoding failed: {err}"))),
            }
        });
    }

    /// Starts replacing the stored rows of `name` up to `replaced.up_to` with a snapshot
    /// merged from those rows, whoever wrote them. Another node compacting the room at the
    /// same moment, or nothing left to merge, counts as done: the log was compacted.
    pub(crate) fn start_stored(
        &mut self,
        store: Arc<dyn DocStore>,
        name: Arc<str>,
        replaced: Replaced,
    ) {
        self.run(async move {
            match store.compact_stored(&name, Some(replaced.up_to)).await {
                Ok(CompactOutcome::Compacted { snapshot_bytes, .. }) => {
                    Ok((replaced, snapshot_bytes))
                }
                Ok(CompactOutcome::NothingToCompact | CompactOutcome::LockedByAnotherStore) => {
                    Ok((replaced, 0))
                }
                Ok(CompactOutcome::Unreadable(rows)) => {
                    tracing::warn!(room = %name, unreadable = rows.len(), "stored rows could not be merged: left as they are until the room loads again");
                    Ok((replaced, 0))
                }
                Err(err) => Err(err),
            }
        });
    }

    /// Runs `compaction` in the background as the running one.
    fn run(&mut self, compaction: impl Future<Output = CompactionResult> + Send + 'static) {
        let (done, result) = oneshot::channel();
        self.running = Some(result);
        tokio::spawn(async move {
            let _ = done.send(compaction.await);
        });
    }

    /// The running compaction's outcome; never resolves while none runs. Cancel-safe: the
    /// compaction stays running until this has returned its outcome.
    pub(crate) async fn finished(&mut self) -> CompactionResult {
        let Some(running) = &mut self.running else {
            return std::future::pending().await;
        };
        let result = running
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("compaction task ended".into())));
        self.running = None;
        result
    }
}
