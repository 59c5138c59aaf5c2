//! Stateless messages between the Hocuspocus participants of a room. Rooms speak y-websocket,
//! which has no such message, so they never see these: the document connections of every
//! Hocuspocus socket register here, and a Stateless message from one goes to the room's others.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::conn_id::ConnId;

/// The Hocuspocus document connections of every room, with the queue each reads the room from.
#[derive(Default)]
pub(crate) struct StatelessHub {
    rooms: Mutex<HashMap<String, HashMap<ConnId, mpsc::Sender<Bytes>>>>,
}

impl StatelessHub {
    /// `conn` of `room` takes Stateless messages through `outbox` (its room queue).
    pub(crate) fn register(&self, room: &str, conn: ConnId, outbox: mpsc::Sender<Bytes>) {
        self.lock()
            .entry(room.to_owned())
            .or_default()
            .insert(conn, outbox);
    }

    /// `conn` of `room` left.
    pub(crate) fn unregister(&self, room: &str, conn: ConnId) {
        let mut rooms = self.lock();
        if let Some(conns) = rooms.get_mut(room) {
            conns.remove(&conn);
            if conns.is_empty() {
                rooms.remove(room);
            }
        }
    }

    /// Queues `frame` for every participant of `room` but `from`; returns how many got it.
    /// Stateless messages are best effort, as in Hocuspocus: a full queue misses this one.
    pub(crate) fn relay(&self, room: &str, from: ConnId, frame: &Bytes) -> usize {
        let rooms = self.lock();
        let Some(conns) = rooms.get(room) else {
            return 0;
        };
        conns
            .iter()
            .filter(|(&conn, _)| conn != from)
            .filter(|(_, outbox)| outbox.try_send(frame.clone()).is_ok())
            .count()
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<ConnId, mpsc::Sender<Bytes>>>> {
        self.rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stateless_message_reaches_the_rooms_other_participants_only() {
        let hub = StatelessHub::default();
        let (a, mut a_rx) = mpsc::channel(4);
        let (b, mut b_rx) = mpsc::channel(4);
        let (c, mut c_rx) = mpsc::channel(4);
        hub.register("notes", 1, a);
        hub.register("notes", 2, b);
        hub.register("other", 3, c);
        let frame = Bytes::from_static(b"\x05\x02hi");
        assert_eq!(hub.relay("notes", 1, &frame), 1);
        assert_eq!(b_rx.try_recv().unwrap(), frame);
        assert!(a_rx.try_recv().is_err(), "not back to the sender");
        assert!(c_rx.try_recv().is_err(), "not into another room");
        hub.unregister("notes", 2);
        assert_eq!(hub.relay("notes", 1, &frame), 0);
        assert!(hub.lock().get("notes").is_some());
        hub.unregister("notes", 1);
        hub.unregister("other", 3);
        assert!(hub.lock().is_empty(), "rooms nobody is in are forgotten");
    }
}
