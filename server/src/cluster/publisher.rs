//! The task that publishes a node's entries in order, a batch per round trip, and keeps them
//! queued (bounded, see [`PublishQueue`]) while Redis is unreachable.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::entry::StreamEntry;
use super::link::RedisLink;
use super::node::ClusterNode;
use super::publish::publish_batch;
use super::publish_queue::{Outgoing, PublishQueue, QueueBounds};
use super::retry::Retry;

/// Entries sent in one pipeline.
const BATCH: usize = 256;

pub(super) async fn run(
    node: Arc<ClusterNode>,
    mut link: RedisLink,
    mut inbox: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut queue = PublishQueue::new(QueueBounds::default());
    let mut retry = Retry::default();
    let mut dropped = 0;
    loop {
        if queue.is_empty() {
            match inbox.recv().await {
                Some(entry) => queue.push(entry),
                None => return,
            }
        }
        while let Ok(entry) = inbox.try_recv() {
            queue.push(entry);
        }
        if queue.dropped() > dropped {
            node.metrics()
                .record_cluster_dropped(queue.dropped() - dropped);
            dropped = queue.dropped();
        }
        let entries: Vec<(Arc<str>, StreamEntry)> = queue
            .front(BATCH)
            .map(|outgoing| {
                let entry = StreamEntry {
                    node: node.id(),
                    kind: outgoing.kind,
                    payload: outgoing.payload.to_vec(),
                };
                (Arc::clone(&outgoing.room), entry)
            })
            .collect();
        let batch: Vec<(&str, &StreamEntry)> = entries
            .iter()
            .map(|(room, entry)| (&**room, entry))
            .collect();
        let result = publish_batch(&mut link, &batch, node.retention()).await;
        node.record_redis(&result);
        match result {
            Ok(_) => {
                for (_, entry) in &entries {
                    node.metrics().record_cluster_published(entry.kind);
                }
                queue.published(entries.len());
                retry.succeeded();
            }
            Err(_) => {
                // Entries keep arriving meanwhile; the queue's bounds hold them.
                retry.failed().await;
            }
        }
    }
}
