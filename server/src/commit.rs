//! Group commit: one task gathers the appends of every room and writes each gathered batch in
//! one durable commit, so durability costs one fsync per batch rather than per update.
//!
//! Batches form by themselves: while one commit is in flight, new appends queue up and all go
//! into the next. Under `--durability batched` the task also waits a short interval before
//! committing, trading a bounded loss window for fewer commits.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use ycord_persistence::{DocStore, StoreError};

use crate::metrics::Metrics;

/// Appends one commit carries at most.
const MAX_BATCH: usize = 4096;
/// Bytes one commit carries at most (past the first append), so that one batch stays well
/// inside what a backend takes in a single statement (PostgreSQL: 1 GiB per value).
const MAX_BATCH_BYTES: usize = 64 * 1024 * 1024;
/// Appends queued before rooms wait (backpressure from a slow store).
const QUEUE: usize = 16 * 1024;

/// The outcome of one append: its sequence number, or the error shared by its whole batch.
pub(crate) type AppendResult = Result<u64, Arc<StoreError>>;

enum Request {
    Append {
        doc: Arc<str>,
        update: Bytes,
        ack: oneshot::Sender<AppendResult>,
    },
    /// Answered once every append queued before it has been committed (or failed).
    Flush(oneshot::Sender<()>),
}

/// A handle to the group-commit task.
#[derive(Clone)]
pub(crate) struct Committer {
    requests: mpsc::Sender<Request>,
}

impl Committer {
    /// Starts the task. `linger` is how long to gather appends before each commit (zero for
    /// sync-before-echo durability).
    pub(crate) fn start(store: Arc<dyn DocStore>, linger: Duration, metrics: Arc<Metrics>) -> Self {
        let (requests, inbox) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, inbox, linger, metrics));
        Committer { requests }
    }

    /// Queues an update; the receiver resolves when it is durable.
    pub(crate) async fn append(
        &self,
        doc: Arc<str>,
        update: Bytes,
    ) -> oneshot::Receiver<AppendResult> {
        let (ack, done) = oneshot::channel();
        let request = Request::Append { doc, update, ack };
        if let Err(mpsc::error::SendError(Request::Append { ack, .. })) =
            self.requests.send(request).await
        {
            let _ = ack.send(Err(Arc::new(StoreError::Unavailable(
                "the commit task has stopped".into(),
            ))));
        }
        done
    }

    /// Waits until everything queued so far is committed.
    pub(crate) async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.requests.send(Request::Flush(done)).await.is_ok() {
            let _ = flushed.await;
        }
    }
}

async fn run(
    store: Arc<dyn DocStore>,
    mut inbox: mpsc::Receiver<Request>,
    linger: Duration,
    metrics: Arc<Metrics>,
) {
    let mut next = inbox.recv().await;
    while let Some(first) = next.take() {
        if !linger.is_zero() {
            tokio::time::sleep(linger).await;
        }
        let mut appends = Vec::new();
        let mut flushes = Vec::new();
        let mut bytes = 0;
        let mut request = Some(first);
        while let Some(current) = request.take() {
            match current {
                Request::Append { doc, update, ack } => {
                    bytes += update.len();
                    appends.push((doc, update, ack));
                }
                Request::Flush(done) => flushes.push(done),
            }
            if appends.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
                request = inbox.try_recv().ok();
            }
        }
        if !appends.is_empty() {
            commit(&*store, appends, &metrics).await;
        }
        for done in flushes {
            let _ = done.send(());
        }
        next = inbox.recv().await;
    }
}

async fn commit(
    store: &dyn DocStore,
    appends: Vec<(Arc<str>, Bytes, oneshot::Sender<AppendResult>)>,
    metrics: &Metrics,
) {
    let batch: Vec<(&str, Bytes)> = appends
        .iter()
        .map(|(doc, update, _)| (&**doc, update.clone()))
        .collect();
    let result = store.append_batch(&batch).await;
    drop(batch);
    match result {
        Ok(seqs) => {
            metrics.record_commit(appends.len());
            for ((_, _, ack), seq) in appends.into_iter().zip(seqs) {
                let _ = ack.send(Ok(seq));
            }
        }
        Err(err) => {
            tracing::error!(error = %err, updates = appends.len(), "storing updates failed");
            metrics.record_store_failure();
            let err = Arc::new(err);
            for (_, _, ack) in appends {
                let _ = ack.send(Err(Arc::clone(&err)));
            }
        }
    }
}
