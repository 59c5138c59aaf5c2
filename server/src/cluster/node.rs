//! This process as a node of a cluster: its id, its connection state to Redis, and the
//! background tasks that publish, follow and watch the other nodes. Room tasks talk to it
//! through [`ClusterNode`]; nothing here waits on a room.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::entry::EntryKind;
use super::error::ClusterError;
use super::follower::{self, Follow};
use super::link::{RedisLink, REQUEST_TIMEOUT};
use super::liveness;
use super::node_id::NodeId;
use super::publish::Retention;
use super::publish_queue::Outgoing;
use super::publisher;
use super::reader::{ReaderOptions, StreamReader};
use super::retained::{read_retained, RetainedStream};
use super::stream_id::StreamId;
use crate::metrics::Metrics;
use crate::rooms::Rooms;

/// What a node needs to join a cluster.
#[derive(Debug, Clone)]
pub(crate) struct ClusterSettings {
    /// `redis://host:port[/db]`.
    pub(crate) redis_url: String,
    /// How much of each room's stream Redis keeps.
    pub(crate) retention: Retention,
    /// A node whose heartbeat key is older than this is dead.
    pub(crate) heartbeat_ttl: Duration,
    /// The largest entry payload read (a room's size limit: no node publishes more).
    pub(crate) max_payload: usize,
}

/// The receivers the background tasks take when they start.
struct Unstarted {
    outgoing: mpsc::UnboundedReceiver<Outgoing>,
    follows: mpsc::UnboundedReceiver<Follow>,
    reader: StreamReader,
    publisher_link: RedisLink,
    liveness_link: RedisLink,
}

/// This node of the cluster.
pub(crate) struct ClusterNode {
    id: NodeId,
    retention: Retention,
    heartbeat_ttl: Duration,
    max_payload: usize,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    follows: mpsc::UnboundedSender<Follow>,
    /// Requests of rooms being loaded (rare: one per room load).
    loader: tokio::sync::Mutex<RedisLink>,
    is_redis_up: AtomicBool,
    /// Nodes whose clients' awareness states this node holds: their heartbeats are watched.
    peers: Mutex<HashSet<NodeId>>,
    metrics: Arc<Metrics>,
    unstarted: Mutex<Option<Unstarted>>,
}

impl ClusterNode {
    /// A node with a fresh id; nothing connects before [`ClusterNode::start`].
    ///
    /// # Errors
    /// A Redis URL the redis crate does not accept.
    pub(crate) fn new(
        settings: &ClusterSettings,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>, ClusterError> {
        let id = NodeId::generate();
        let url = &settings.redis_url;
        let link =
            |role: &str| RedisLink::open(url, &format!("ycord-{role}-{id}"), REQUEST_TIMEOUT);
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let (follows, follows_rx) = mpsc::unbounded_channel();
        let unstarted = Unstarted {
            outgoing: outgoing_rx,
            follows: follows_rx,
            reader: StreamReader::new(
                url,
                id,
                ReaderOptions {
                    max_payload: settings.max_payload,
                    ..ReaderOptions::default()
                },
            )?,
            publisher_link: link("publisher")?,
            liveness_link: link("liveness")?,
        };
        metrics.set_redis_up(false);
        Ok(Arc::new(ClusterNode {
            id,
            retention: settings.retention,
            heartbeat_ttl: settings.heartbeat_ttl,
            max_payload: settings.max_payload,
            outgoing,
            follows,
            loader: tokio::sync::Mutex::new(link("loader")?),
            is_redis_up: AtomicBool::new(false),
            peers: Mutex::new(HashSet::new()),
            metrics,
            unstarted: Mutex::new(Some(unstarted)),
        }))
    }

    /// Starts publishing, following and heartbeats; entries reach rooms through `rooms`.
    pub(crate) fn start(self: &Arc<Self>, rooms: &Arc<Rooms>) {
        let Some(unstarted) = self.unstarted.lock().expect("cluster lock").take() else {
            return;
        };
        tokio::spawn(publisher::run(
            Arc::clone(self),
            unstarted.publisher_link,
            unstarted.outgoing,
        ));
        tokio::spawn(follower::run(
            Arc::clone(self),
            unstarted.reader,
            unstarted.follows,
            Arc::clone(rooms),
        ));
        tokio::spawn(liveness::run(
            Arc::clone(self),
            unstarted.liveness_link,
            Arc::clone(rooms),
        ));
    }

    /// This node's id.
    pub(crate) fn id(&self) -> NodeId {
        self.id
    }

    /// Whether the last request to Redis succeeded.
    pub(crate) fn is_redis_up(&self) -> bool {
        self.is_redis_up.load(Ordering::Relaxed)
    }

    pub(super) fn retention(&self) -> Retention {
        self.retention
    }

    pub(super) fn heartbeat_ttl(&self) -> Duration {
        self.heartbeat_ttl
    }

    pub(super) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Records the outcome of a request to Redis, logging when reachability changes.
    pub(super) fn record_redis<T>(&self, result: &Result<T, ClusterError>) {
        let is_up = result.is_ok();
        let was_up = self.is_redis_up.swap(is_up, Ordering::Relaxed);
        self.metrics.set_redis_up(is_up);
        match result {
            Err(err) if was_up => {
                tracing::warn!(error = %err, "redis unreachable: serving this node's clients alone until it is back");
            }
            Ok(_) if !was_up => tracing::info!(node = %self.id, "connected to redis"),
            _ => {}
        }
    }

    /// Queues an entry for `room`'s stream; it goes out in order, once Redis takes it.
    pub(crate) fn publish(&self, room: &Arc<str>, kind: EntryKind, payload: Bytes) {
        let _ = self.outgoing.send(Outgoing {
            room: Arc::clone(room),
            kind,
            payload,
        });
    }

    /// What `room`'s stream retains now.
    ///
    /// # Errors
    /// Redis unreachable or failing.
    pub(crate) async fn read_retained(&self, room: &str) -> Result<RetainedStream, ClusterError> {
        let mut link = self.loader.lock().await;
        let result = read_retained(&mut link, room, self.max_payload).await;
        self.record_redis(&result);
        result
    }

    /// Whether `node` beats; `true` when Redis cannot tell.
    pub(crate) async fn is_alive(&self, node: NodeId) -> bool {
        let mut link = self.loader.lock().await;
        super::heartbeat::is_alive(&mut link, node)
            .await
            .unwrap_or(true)
    }

    /// Follows `room`'s stream from `position` for the room task of `generation`.
    pub(crate) fn follow(&self, room: &Arc<str>, generation: u64, position: StreamId) {
        let _ = self.follows.send(Follow::Start {
            room: Arc::clone(room),
            generation,
            position,
        });
    }

    /// Stops following `room` unless a later generation of it follows it now.
    pub(crate) fn unfollow(&self, room: &Arc<str>, generation: u64) {
        let _ = self.follows.send(Follow::Stop {
            room: Arc::clone(room),
            generation,
        });
    }

    /// Another node's clients have awareness states here: watch its heartbeat.
    pub(crate) fn watch_peer(&self, node: NodeId) {
        if node != self.id {
            self.peers.lock().expect("cluster lock").insert(node);
        }
    }

    pub(super) fn watched_peers(&self) -> Vec<NodeId> {
        self.peers
            .lock()
            .expect("cluster lock")
            .iter()
            .copied()
            .collect()
    }

    pub(super) fn forget_peer(&self, node: NodeId) {
        self.peers.lock().expect("cluster lock").remove(&node);
    }
}
