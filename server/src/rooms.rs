//! The registry of loaded rooms: finds or starts a room's task, and forgets rooms that have
//! unloaded themselves.
//!
//! The registry does not know what a room's task is: the server hands it a [`StartRoom`]
//! function when it builds it, so the task can use the registry without the two depending on
//! each other.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::conn_id::ConnId;
use crate::room_command::RoomCommand;
use crate::room_stats::RoomStats;
use crate::roster::{ConnectionInfo, Roster};

/// Commands a room buffers before senders wait (backpressure onto their sockets).
const ROOM_INBOX: usize = 1024;

/// Starts the task of a room that is not loaded, given the registry, the room's name, the
/// generation that tells this task from the room's earlier and later ones, and its inbox. It
/// must not block: it is called with the registry locked.
pub(crate) type StartRoom =
    Box<dyn Fn(Arc<Rooms>, Arc<str>, u64, mpsc::Receiver<RoomCommand>) + Send + Sync>;

/// Where commands for one loaded room go.
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
    loaded: Mutex<HashMap<Arc<str>, Entry>>,
    start: StartRoom,
    next_generation: AtomicU64,
    connections: AtomicUsize,
    roster: Roster,
}

impl Rooms {
    /// An empty registry that starts each room's task with `start`.
    pub(crate) fn new(start: StartRoom) -> Arc<Self> {
        Arc::new(Rooms {
            loaded: Mutex::new(HashMap::new()),
            start,
            next_generation: AtomicU64::new(0),
            connections: AtomicUsize::new(0),
            roster: Roster::default(),
        })
    }

    /// The running room called `name`, started if needed. A new room's task loads it from the
    /// store before it handles any command, so nobody is answered from a half-loaded document.
    pub(crate) fn handle(self: &Arc<Self>, name: &str) -> RoomHandle {
        let mut loaded = self.loaded.lock().expect("rooms lock");
        if let Some(entry) = loaded.get(name) {
            if !entry.handle.commands.is_closed() {
                return entry.handle.clone();
            }
        }
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let (commands, inbox) = mpsc::channel(ROOM_INBOX);
        let handle = RoomHandle { commands };
        let name: Arc<str> = Arc::from(name);
        loaded.insert(
            Arc::clone(&name),
            Entry {
                handle: handle.clone(),
                generation,
            },
        );
        (self.start)(Arc::clone(self), name, generation, inbox);
        handle
    }

    /// The running room called `name`, if it is loaded; never starts one.
    pub(crate) fn get_existing(&self, name: &str) -> Option<RoomHandle> {
        let loaded = self.loaded.lock().expect("rooms lock");
        loaded.get(name).map(|entry| entry.handle.clone())
    }

    /// Names of the loaded rooms.
    pub(crate) fn loaded_names(&self) -> Vec<String> {
        let loaded = self.loaded.lock().expect("rooms lock");
        loaded.keys().map(|name| name.to_string()).collect()
    }

    /// Lets go of an idle room if nothing is waiting in its inbox: later callers of
    /// [`Rooms::handle`] start a fresh task, which loads the room from the store again. The
    /// old task forwards whatever still reaches its inbox to that fresh task.
    pub(crate) fn try_unload(
        &self,
        name: &str,
        generation: u64,
        inbox: &mut mpsc::Receiver<RoomCommand>,
    ) -> bool {
        let mut loaded = self.loaded.lock().expect("rooms lock");
        if !inbox.is_empty() {
            return false;
        }
        if loaded.get(name).is_some_and(|e| e.generation == generation) {
            loaded.remove(name);
        }
        true
    }

    /// Removes a room's entry if it is still this generation's.
    pub(crate) fn forget(&self, name: &str, generation: u64) {
        let mut loaded = self.loaded.lock().expect("rooms lock");
        if loaded.get(name).is_some_and(|e| e.generation == generation) {
            loaded.remove(name);
        }
    }

    /// Counts a connection, and lists it among `room`'s, until the returned guard is dropped.
    pub(crate) fn track_connection(
        self: &Arc<Self>,
        room: &str,
        info: ConnectionInfo,
    ) -> ConnectionGuard {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let conn = info.conn;
        self.roster.add(room, info);
        ConnectionGuard {
            rooms: Arc::clone(self),
            room: room.to_owned(),
            conn,
        }
    }

    /// The connections open on `room`, oldest first.
    pub(crate) fn connections_of(&self, room: &str) -> Vec<ConnectionInfo> {
        self.roster.list(room)
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

/// Keeps a connection counted in [`RoomStats`] and listed in its room while alive.
pub(crate) struct ConnectionGuard {
    rooms: Arc<Rooms>,
    room: String,
    conn: ConnId,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.rooms.connections.fetch_sub(1, Ordering::Relaxed);
        self.rooms.roster.remove(&self.room, self.conn);
    }
}
