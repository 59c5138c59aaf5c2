//! The task that owns one [`Room`]: it loads the room from the store before answering anyone,
//! serialises the room's commands, has every document update stored before its effects go out
//! (under sync-before-echo durability), compacts the room's log in the background, and moves
//! effects onto each connection's bounded queue without ever waiting on a socket.
//!
//! Each concern is its own piece: the order of store acknowledgements and echoes is
//! [`EchoGate`]'s and when to compact is [`StoredLog`]'s (both IO-free, with unit tests),
//! fan-out onto the connections' queues is [`Peers`]', the appends in flight are
//! [`PendingAppends`] and the background compaction is [`Compactor`]. This file runs the
//! commands and moves the pieces' answers between the room, the store and the sockets.

mod cluster_room;
mod compactor;
mod echo_gate;
mod peers;
mod pending_appends;
mod stored_log;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use ycord_persistence::{DocStore, StoreError};
use yrs::sync::time::SystemClock;
use yrs::sync::Clock;
use yrs::{ReadTxn, StateVector, Transact};

use crate::close::CloseReason;
use crate::cluster::ClusterNode;
use crate::commit::{AppendResult, Committer};
use crate::config::{Compaction, Durability};
use crate::conn_id::ConnId;
use crate::json;
use crate::load::{contained, load_document};
use crate::metrics::Metrics;
use crate::room::{Effect, Room};
use crate::room_command::{ApplyError, Remote, RoomCommand};
use crate::rooms::Rooms;
use cluster_room::ClusterRoom;
use compactor::{CompactionResult, Compactor};
use echo_gate::{EchoGate, Held};
use peers::Peers;
use pending_appends::PendingAppends;
use stored_log::StoredLog;

/// What every room task shares.
pub(crate) struct RoomContext {
    pub(crate) store: Arc<dyn DocStore>,
    pub(crate) committer: Committer,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) durability: Durability,
    pub(crate) compaction: Compaction,
    pub(crate) grace: Duration,
    /// [`crate::Limits::max_document_size`].
    pub(crate) max_document_size: usize,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// This node, when it is part of a cluster.
    pub(crate) cluster: Option<Arc<ClusterNode>>,
}

/// How often stale awareness states are looked for.
const EXPIRY_CHECK: Duration = Duration::from_secs(1);

/// A caller waiting for earlier appends to become durable.
enum Waiter {
    Reply(oneshot::Sender<Result<(), ApplyError>>),
    Encode(oneshot::Sender<Vec<u8>>),
    ToJson(oneshot::Sender<serde_json::Value>),
}

struct RoomTask {
    name: Arc<str>,
    generation: u64,
    room: Room,
    rooms: Arc<Rooms>,
    ctx: Arc<RoomContext>,
    peers: Peers,
    appends: PendingAppends,
    gate: EchoGate<Waiter>,
    log: StoredLog,
    compactor: Compactor,
    /// yrs panicked on the document: it is rebuilt from the store before the next command.
    needs_reload: bool,
    /// The room's part in a cluster.
    cluster: Option<ClusterRoom>,
    /// Stream entries may have been missed and merging the stored document failed: it is
    /// tried again at the next expiry check.
    needs_merge: bool,
}

/// Loads the room, then runs it until it has been idle for the grace period (or the server
/// shuts down) and the registry has unloaded it.
pub(crate) async fn run(
    rooms: Arc<Rooms>,
    name: Arc<str>,
    generation: u64,
    mut inbox: mpsc::Receiver<RoomCommand>,
    ctx: Arc<RoomContext>,
) {
    let mut cluster = ctx
        .cluster
        .as_ref()
        .map(|node| ClusterRoom::new(Arc::clone(node), Arc::clone(&name), generation));
    let retained = match &cluster {
        Some(cluster) => Some(cluster.read().await),
        None => None,
    };
    let loaded = match load_document(&*ctx.store, &ctx.metrics, &name).await {
        Ok(loaded) => loaded,
        Err(err) => {
            tracing::error!(room = %name, error = %err, "loading room failed");
            let reason = CloseReason::StorageUnavailable(err.to_string());
            return refuse(&rooms, &name, generation, inbox, &ctx, &reason).await;
        }
    };
    let log = StoredLog::from(&loaded);
    let gate = EchoGate::new(ctx.durability);
    let mut room = Room::new(loaded.doc, SystemClock).with_max_document_size(ctx.max_document_size);
    if let (Some(cluster), Some(retained)) = (&mut cluster, retained) {
        cluster.catch_up(&mut room, retained).await;
    }
    let mut task = RoomTask {
        name,
        generation,
        room,
        rooms,
        ctx,
        peers: Peers::default(),
        appends: PendingAppends::default(),
        gate,
        log,
        compactor: Compactor::default(),
        needs_reload: false,
        cluster,
        needs_merge: false,
    };
    // A log left long by a crash (or by a server that never compacted) is compacted now.
    task.maybe_compact();
    match task.serve(&mut inbox).await {
        Some(reason) => {
            refuse(
                &task.rooms,
                &task.name,
                generation,
                inbox,
                &task.ctx,
                &reason,
            )
            .await
        }
        None => forward(&task.rooms, &task.name, inbox).await,
    }
}

/// The room unloaded: commands that reached its inbox after the registry let go of it go to
/// the room's next task. Draining with `recv` (not `try_recv`) also waits for senders that had
/// reserved a slot before the inbox closed.
async fn forward(rooms: &Arc<Rooms>, name: &str, mut inbox: mpsc::Receiver<RoomCommand>) {
    inbox.close();
    while let Some(command) = inbox.recv().await {
        let _ = rooms.handle(name).commands.send(command).await;
    }
}

/// The room ends without unloading normally (it could not be loaded, its store failed, or it
/// was deleted): the registry forgets it, so the next connection starts a fresh task, and
/// whoever is still waiting in its inbox is told `reason`.
async fn refuse(
    rooms: &Rooms,
    name: &str,
    generation: u64,
    mut inbox: mpsc::Receiver<RoomCommand>,
    ctx: &RoomContext,
    reason: &CloseReason,
) {
    rooms.forget(name, generation);
    inbox.close();
    while let Some(command) = inbox.recv().await {
        match command {
            RoomCommand::Join { conn, peer, .. } => {
                reason.log(name, conn);
                let _ = peer.close.send(reason.clone());
            }
            RoomCommand::Apply { reply, .. } => {
                let error = StoreError::Unavailable(reason.text());
                let _ = reply.send(Err(ApplyError::Store(Arc::new(error))));
            }
            // A room that cannot be loaded can still be deleted; that is often why one asks.
            RoomCommand::Delete { reply } => {
                let _ = reply.send(ctx.store.delete(name).await.map_err(Arc::new));
            }
            // Dropping the reply tells the caller the room is unavailable.
            _ => {}
        }
    }
}

impl RoomTask {
    /// Runs the room; returns how to turn away late joiners when it ended abnormally.
    async fn serve(&mut self, inbox: &mut mpsc::Receiver<RoomCommand>) -> Option<CloseReason> {
        let mut shutdown = self.ctx.shutdown.clone();
        let mut is_shutting_down = *shutdown.borrow();
        let mut idle_since = Some(Instant::now());
        // Expiry is checked on a fixed beat rather than per message: scanning every state
        // after each frame would put O(states) work on the hot path for a precision nobody needs.
        let mut expiry_check = tokio::time::interval(EXPIRY_CHECK);
        expiry_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if self.needs_reload {
                if let Some(end) = self.reload().await {
                    return Some(end);
                }
            }
            let grace = if is_shutting_down {
                Duration::ZERO
            } else {
                self.ctx.grace
            };
            tokio::select! {
                command = inbox.recv() => match command {
                    Some(command) => {
                        if let Some(end) = self.handle(command).await {
                            return Some(end);
                        }
                    }
                    None => return None,
                },
                ack = self.appends.next() => {
                    if let Some(end) = self.confirm(ack) {
                        return Some(end);
                    }
                }
                result = self.compactor.finished() => self.compacted(result),
                _ = expiry_check.tick() => {
                    let effects = self.room.tick(SystemClock.now());
                    self.dispatch(effects);
                    if self.needs_merge {
                        self.merge_stored().await;
                    }
                }
                _ = shutdown.changed(), if !is_shutting_down => is_shutting_down = true,
                () = sleep_until(idle_since.map(|since| since + grace)) => {
                    if self.is_settled()
                        && self.rooms.try_unload(&self.name, self.generation, inbox)
                    {
                        tracing::debug!(room = %self.name, "room unloaded");
                        return None;
                    }
                    idle_since = Some(Instant::now());
                }
            }
            if !self.peers.is_empty() {
                idle_since = None;
            } else if idle_since.is_none() {
                idle_since = Some(Instant::now());
            }
        }
    }

    /// No append or compaction is in flight, so unloading loses nothing.
    fn is_settled(&self) -> bool {
        self.appends.is_empty() && !self.compactor.is_running()
    }

    /// Handles one command; `Some` means the room has ended.
    async fn handle(&mut self, command: RoomCommand) -> Option<CloseReason> {
        match command {
            RoomCommand::Join {
                conn,
                peer,
                dialect,
            } => {
                self.peers.insert(conn, peer);
                let effects = self.room.join_as(conn, dialect);
                self.submit(effects).await;
            }
            RoomCommand::Frame { conn, frame } => {
                if self.room.is_connected(conn) {
                    let effects = self.room.receive(conn, frame);
                    self.publish_awareness(&effects);
                    self.submit(effects).await;
                }
            }
            RoomCommand::Leave { conn } => {
                self.peers.remove(conn);
                let effects = self.room.leave(conn);
                self.publish_awareness(&effects);
                self.submit(effects).await;
            }
            RoomCommand::Remote(remote) => return self.remote(remote).await,
            // Reads wait for pending appends too: they show only what is stored.
            RoomCommand::Encode { reply } => self.wait(Waiter::Encode(reply)),
            RoomCommand::ToJson { reply } => self.wait(Waiter::ToJson(reply)),
            RoomCommand::Apply { update, reply } => match self.room.apply_external(update) {
                Ok(effects) => {
                    self.submit(effects).await;
                    self.wait(Waiter::Reply(reply));
                }
                Err(rejected) => {
                    self.submit(rejected.partial).await;
                    let text = rejected.reason.text();
                    let error = match rejected.reason {
                        CloseReason::DocumentTooLarge { .. } => ApplyError::TooLarge(text),
                        _ => ApplyError::Invalid(text),
                    };
                    let _ = reply.send(Err(error));
                }
            },
            RoomCommand::Delete { reply } => {
                // Appends in flight must land first, or they would outlive the delete.
                while !self.appends.is_empty() {
                    let ack = self.appends.next().await;
                    if let Some(end) = self.confirm(ack) {
                        let error = StoreError::Unavailable(end.text());
                        let _ = reply.send(Err(Arc::new(error)));
                        return Some(end);
                    }
                }
                if let Err(err) = self.ctx.store.delete(&self.name).await {
                    // Nothing was deleted: the room and its clients carry on.
                    let _ = reply.send(Err(Arc::new(err)));
                    return None;
                }
                if let Some(cluster) = &self.cluster {
                    cluster.publish_deleted();
                }
                let effects = self.room.close_all(&CloseReason::RoomDeleted);
                self.dispatch(effects);
                let _ = reply.send(Ok(()));
                return Some(CloseReason::RoomDeleted);
            }
        }
        None
    }

    /// Sends effects on their way: appends go to the committer, the rest out when the gate
    /// lets them.
    async fn submit(&mut self, effects: Vec<Effect>) {
        let submitted = self.gate.submit(effects);
        for update in submitted.appends {
            self.ctx.metrics.record_update();
            let ack = self
                .ctx
                .committer
                .append(Arc::clone(&self.name), update.clone())
                .await;
            self.appends.push(ack, update);
        }
        self.needs_reload |= submitted.needs_reload;
        self.dispatch(submitted.ready);
    }

    /// Rebuilds the document from the store after yrs panicked on it. Appends in flight land
    /// first, so the rebuilt document holds every update anyone was told about; connections
    /// and awareness stay, and their next sync exchange runs against the rebuilt document.
    async fn reload(&mut self) -> Option<CloseReason> {
        self.needs_reload = false;
        self.ctx.metrics.record_reload();
        while !self.appends.is_empty() {
            let ack = self.appends.next().await;
            if let Some(end) = self.confirm(ack) {
                return Some(end);
            }
        }
        match load_document(&*self.ctx.store, &self.ctx.metrics, &self.name).await {
            Ok(loaded) => {
                tracing::warn!(room = %self.name, "room reloaded from the store after yrs failed");
                self.log = StoredLog::from(&loaded);
                self.room.replace_document(loaded.doc);
                None
            }
            Err(err) => {
                tracing::error!(room = %self.name, error = %err, "reloading room failed");
                Some(self.fail(&StoreError::Unavailable(err.to_string())))
            }
        }
    }

    /// Answers `waiter` now, or once every append submitted so far is durable.
    fn wait(&mut self, waiter: Waiter) {
        if let Some(waiter) = self.gate.wait(waiter) {
            self.answer(waiter);
        }
    }

    fn release(&mut self, item: Held<Waiter>) {
        match item {
            Held::Effects(effects) => self.dispatch(effects),
            Held::Waiter(waiter) => self.answer(waiter),
        }
    }

    fn answer(&mut self, waiter: Waiter) {
        match waiter {
            Waiter::Reply(reply) => {
                let _ = reply.send(Ok(()));
            }
            Waiter::Encode(reply) => {
                let doc = self.room.doc();
                match contained(|| {
                    Ok(doc
                        .transact()
                        .encode_state_as_update_v1(&StateVector::default()))
                }) {
                    Ok(state) => {
                        let _ = reply.send(state);
                    }
                    // Dropping the reply tells the caller the room is unavailable.
                    Err(_) => self.needs_reload = true,
                }
            }
            Waiter::ToJson(reply) => {
                let _ = reply.send(json::doc_to_json(self.room.doc()));
            }
        }
    }

    /// Handles the oldest append's outcome; `Some` means the room has ended.
    fn confirm(&mut self, (result, update): (AppendResult, Bytes)) -> Option<CloseReason> {
        match result {
            Ok(seq) => {
                self.log.record_append(seq, update.len() as u64);
                // Stored, so the other nodes may have it: nothing they relay can be lost.
                if let Some(cluster) = &self.cluster {
                    cluster.publish_update(update);
                }
                for item in self.gate.confirm() {
                    self.release(item);
                }
                self.maybe_compact();
                None
            }
            Err(err) => Some(self.fail(&err)),
        }
    }

    /// The store refused an append. The document in memory now holds updates the store does
    /// not, so the room closes every connection without acknowledging them and unloads; the
    /// clients still hold those updates and send them again when they reconnect, and the room
    /// reloads from the store once it works again.
    fn fail(&mut self, err: &StoreError) -> CloseReason {
        let reason = CloseReason::StorageUnavailable(err.to_string());
        for waiter in self.gate.fail() {
            if let Waiter::Reply(reply) = waiter {
                let error = StoreError::Unavailable(err.to_string());
                let _ = reply.send(Err(ApplyError::Store(Arc::new(error))));
            }
        }
        let effects = self.room.close_all(&reason);
        self.dispatch(effects);
        reason
    }

    /// Starts compacting the log in the background when it is due and no compaction runs.
    fn maybe_compact(&mut self) {
        if self.compactor.is_running() {
            return;
        }
        let Some(replaced) = self.log.due_compaction(&self.ctx.compaction) else {
            return;
        };
        let (store, name) = (Arc::clone(&self.ctx.store), Arc::clone(&self.name));
        if self.cluster.is_some() {
            // Other nodes append to the room too: only the stored rows say what to replace.
            self.compactor.start_stored(store, name, replaced);
        } else {
            self.compactor
                .start(self.room.doc().clone(), store, name, replaced);
        }
    }

    fn compacted(&mut self, result: CompactionResult) {
        match result {
            Ok((replaced, snapshot_bytes)) => {
                // Zero bytes: another node compacted, or there was nothing to merge.
                if snapshot_bytes > 0 {
                    self.ctx.metrics.record_compaction();
                }
                self.log.record_compaction(replaced, snapshot_bytes);
                tracing::debug!(room = %self.name, updates = self.log.updates(), bytes = self.log.bytes(), "room compacted");
            }
            Err(err) => {
                // The log stays as it was; the next append tries again.
                tracing::warn!(room = %self.name, error = %err, "compaction failed");
            }
        }
    }

    /// Moves effects to connection queues. A full queue closes that connection as a slow
    /// consumer, which may produce more effects (its awareness removal); they go out too.
    fn dispatch(&mut self, mut effects: Vec<Effect>) {
        let mut sent = 0;
        while !effects.is_empty() {
            let mut slow = Vec::new();
            for effect in effects.drain(..) {
                match effect {
                    Effect::Send(conn, frame) => sent += self.peers.send(conn, frame, &mut slow),
                    Effect::Broadcast(frame) => sent += self.peers.broadcast(&frame, &mut slow),
                    Effect::Close(conn, reason) => self.close(conn, reason),
                    Effect::Append(_) | Effect::Reload => {
                        unreachable!("appends and reloads are submitted, not dispatched")
                    }
                }
            }
            for conn in slow {
                if self.peers.contains(conn) {
                    self.close(conn, CloseReason::SlowConsumer);
                    let left = self.room.leave(conn);
                    self.publish_awareness(&left);
                    effects.extend(left);
                }
            }
        }
        self.ctx.metrics.record_frames_sent(sent);
    }

    /// Publishes the awareness changes of this node's connections among `effects`.
    fn publish_awareness(&self, effects: &[Effect]) {
        if let Some(cluster) = &self.cluster {
            cluster.publish_awareness(effects);
        }
    }

    /// Handles what another node published; `Some` means the room has ended.
    async fn remote(&mut self, remote: Remote) -> Option<CloseReason> {
        match remote {
            Remote::Update(update) => match self.room.apply_remote(update) {
                Ok(effects) => self.submit(effects).await,
                Err(rejected) => {
                    tracing::warn!(room = %self.name, reason = %rejected.reason.text(), "refused an update from another node");
                    self.submit(rejected.partial).await;
                }
            },
            Remote::Awareness { node, frame } => {
                match self.room.apply_remote_awareness(node.owner(), &frame) {
                    Ok(effects) => self.submit(effects).await,
                    Err(reason) => {
                        tracing::warn!(room = %self.name, node = %node, reason, "refused awareness from another node");
                    }
                }
            }
            Remote::NodeGone(node) => {
                let effects = self.room.release_node(node.owner());
                self.submit(effects).await;
            }
            Remote::Reload(reason) => {
                self.ctx.metrics.record_resync(reason);
                self.merge_stored().await;
            }
            Remote::Deleted => {
                let effects = self.room.close_all(&CloseReason::RoomDeleted);
                self.dispatch(effects);
                return Some(CloseReason::RoomDeleted);
            }
        }
        None
    }

    /// Merges the stored document into the room's: entries of other nodes may have been
    /// missed, and the store has every update any node acknowledged.
    async fn merge_stored(&mut self) {
        self.needs_merge = false;
        let loaded = match load_document(&*self.ctx.store, &self.ctx.metrics, &self.name).await {
            Ok(loaded) => loaded,
            Err(err) => {
                tracing::warn!(room = %self.name, error = %err, "merging the stored room failed: trying again shortly");
                self.needs_merge = true;
                return;
            }
        };
        let doc = loaded.doc.clone();
        let state = contained(|| {
            Ok(doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default()))
        });
        match state {
            Ok(state) => match self.room.apply_remote(Bytes::from(state)) {
                Ok(effects) => self.submit(effects).await,
                Err(rejected) => {
                    tracing::error!(room = %self.name, reason = %rejected.reason.text(), "the stored room could not be merged");
                    self.submit(rejected.partial).await;
                }
            },
            Err(err) => {
                tracing::error!(room = %self.name, error = %err, "the stored room could not be encoded");
            }
        }
        self.log = StoredLog::from(&loaded);
    }

    fn close(&mut self, conn: ConnId, reason: CloseReason) {
        if self.peers.contains(conn) {
            reason.log(&self.name, conn);
            self.ctx.metrics.record_close(&reason);
            self.peers.close(conn, reason);
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
