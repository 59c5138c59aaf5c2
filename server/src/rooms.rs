//! The registry of loaded rooms: finds or starts a room's task, and unloads idle rooms into
//! the document store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::room::Room;
use crate::room_task::{self, RoomCommand};
use crate::store::MemoryStore;

/// Commands a room buffers before senders wait (backpressure onto their sockets).
const ROOM_INBOX: usize = 1024;

#[derive(Clone)]
pub(crate) struct RoomHandle {
    pub(crate) commands: mpsc::Sender<RoomCommand>,
}

struct Entry {
    handle: RoomHandle,
    generation: u64,
}

/// Loaded rooms by name.
pub(crate) struct Rooms {
    loaded: Mutex<HashMap<String, Entry>>,
    store: MemoryStore,
    next_generation: AtomicU64,
    connections: AtomicUsize,
    grace: Duration,
}

/// Counts for `/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomStats {
    /// Rooms loaded in memory.
    pub rooms: usize,
    /// Open WebSocket connections across all rooms.
    pub connections: usize,
}

impl Rooms {
    pub(crate) fn new(store: MemoryStore, grace: Duration) -> Arc<Self> {
        Arc::new(Rooms {
            loaded: Mutex::new(HashMap::new()),
            store,
            next_generation: AtomicU64::new(0),
            connections: AtomicUsize::new(0),
            grace,
        })
    }

    /// The running room called `name`, started (and loaded from the store) if needed.
    pub(crate) fn handle(self: &Arc<Self>, name: &str) -> RoomHandle {
        let mut loaded = self.loaded.lock().expect("rooms lock");
        if let Some(entry) = loaded.get(name) {
            if !entry.handle.commands.is_closed() {
                return entry.handle.clone();
            }
        }
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let stored = self.store.load(name);
        let room = match Room::new(stored.as_deref(), room_task::room_clock()) {
            Ok(room) => room,
            Err(err) => {
                // Only what this process stored is loaded, so this means a bug, not bad input;
                // start empty rather than refuse the room forever.
                tracing::error!(room = %name, error = %err, "stored state unreadable, starting empty");
                Room::new(None, room_task::room_clock()).expect("empty room")
            }
        };
        let (commands, inbox) = mpsc::channel(ROOM_INBOX);
        let handle = RoomHandle { commands };
        loaded.insert(
            name.to_owned(),
            Entry {
                handle: handle.clone(),
                generation,
            },
        );
        tokio::spawn(room_task::run(
            name.to_owned(),
            generation,
            room,
            inbox,
            Arc::clone(self),
            self.grace,
        ));
        handle
    }

    /// Unloads an idle room if nothing is waiting in its inbox: its state goes to the store and
    /// later senders find the inbox closed and start a fresh task that loads it again.
    pub(crate) fn try_unload(
        &self,
        name: &str,
        generation: u64,
        inbox: &mut mpsc::Receiver<RoomCommand>,
        room: &Room,
    ) -> bool {
        let mut loaded = self.loaded.lock().expect("rooms lock");
        if !inbox.is_empty() {
            return false;
        }
        inbox.close();
        self.store.save(name, room.encode_state());
        if loaded.get(name).is_some_and(|e| e.generation == generation) {
            loaded.remove(name);
        }
        true
    }

    /// Counts a connection until the returned guard is dropped.
    pub(crate) fn track_connection(self: &Arc<Self>) -> ConnectionGuard {
        self.connections.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard(Arc::clone(self))
    }

    /// Rooms and connections right now.
    pub(crate) fn stats(&self) -> RoomStats {
        let loaded = self.loaded.lock().expect("rooms lock");
        RoomStats {
            rooms: loaded.len(),
            connections: self.connections.load(Ordering::Relaxed),
        }
    }
}

/// Keeps a connection counted in [`RoomStats`] while alive.
pub(crate) struct ConnectionGuard(Arc<Rooms>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}
