//! Fan-out: a room's frames onto each connection's bounded queue, without ever waiting on a
//! socket. A connection whose queue is full is reported as slow, for the room task to close; it
//! never holds up the room or its other connections.

use std::collections::HashMap;

use bytes::Bytes;
use tokio::sync::mpsc::error::TrySendError;

use crate::close::CloseReason;
use crate::conn_id::ConnId;
use crate::room_command::Peer;

/// The connections of one room, by id.
#[derive(Default)]
pub(crate) struct Peers {
    by_conn: HashMap<ConnId, Peer>,
}

impl Peers {
    /// Adds a connection that joined.
    pub(crate) fn insert(&mut self, conn: ConnId, peer: Peer) {
        self.by_conn.insert(conn, peer);
    }

    /// Forgets a connection that left; its queue and close signal are dropped.
    pub(crate) fn remove(&mut self, conn: ConnId) {
        self.by_conn.remove(&conn);
    }

    /// Whether `conn` is still a connection here.
    pub(crate) fn contains(&self, conn: ConnId) -> bool {
        self.by_conn.contains_key(&conn)
    }

    /// No connection is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_conn.is_empty()
    }

    /// Queues `frame` for `conn`; returns the frames queued (none if `conn` is gone) and adds
    /// `conn` to `slow` if its queue is full.
    pub(crate) fn send(&self, conn: ConnId, frame: Bytes, slow: &mut Vec<ConnId>) -> usize {
        match self.by_conn.get(&conn) {
            Some(peer) => {
                if is_full(peer, frame) {
                    slow.push(conn);
                }
                1
            }
            None => 0,
        }
    }

    /// Queues `frame` for every connection; returns the frames queued and adds each connection
    /// whose queue is full to `slow`.
    pub(crate) fn broadcast(&self, frame: &Bytes, slow: &mut Vec<ConnId>) -> usize {
        for (&conn, peer) in &self.by_conn {
            if is_full(peer, frame.clone()) {
                slow.push(conn);
            }
        }
        self.by_conn.len()
    }

    /// Forgets `conn` and tells its connection task to close with `reason`; `false` if it
    /// was already gone.
    pub(crate) fn close(&mut self, conn: ConnId, reason: CloseReason) -> bool {
        match self.by_conn.remove(&conn) {
            Some(peer) => {
                let _ = peer.close.send(reason);
                true
            }
            None => false,
        }
    }
}

fn is_full(peer: &Peer, frame: Bytes) -> bool {
    match peer.outbox.try_send(frame) {
        Ok(()) => false,
        Err(TrySendError::Full(_)) => true,
        // The connection task is already gone; its Leave is on the way.
        Err(TrySendError::Closed(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::{mpsc, oneshot};

    use super::*;

    struct Socket {
        frames: mpsc::Receiver<Bytes>,
        closed: oneshot::Receiver<CloseReason>,
    }

    fn join(peers: &mut Peers, conn: ConnId, queue: usize) -> Socket {
        let (outbox, frames) = mpsc::channel(queue);
        let (close, closed) = oneshot::channel();
        peers.insert(conn, Peer { outbox, close });
        Socket { frames, closed }
    }

    fn frame(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    #[test]
    fn a_full_queue_marks_only_its_connection_slow() {
        let mut peers = Peers::default();
        let mut slow_socket = join(&mut peers, 1, 1);
        let mut reader = join(&mut peers, 2, 8);
        let mut slow = Vec::new();
        assert_eq!(peers.broadcast(&frame("a"), &mut slow), 2);
        assert_eq!(peers.broadcast(&frame("b"), &mut slow), 2);
        assert_eq!(slow, vec![1]);
        assert_eq!(slow_socket.frames.try_recv().unwrap(), frame("a"));
        assert_eq!(reader.frames.try_recv().unwrap(), frame("a"));
        assert_eq!(reader.frames.try_recv().unwrap(), frame("b"));
    }

    #[test]
    fn a_frame_for_a_connection_that_left_goes_nowhere() {
        let mut peers = Peers::default();
        let socket = join(&mut peers, 1, 8);
        peers.remove(1);
        let mut slow = Vec::new();
        assert_eq!(peers.send(1, frame("late"), &mut slow), 0);
        assert!(slow.is_empty());
        drop(socket);
    }

    #[test]
    fn a_connection_whose_task_ended_is_not_counted_slow() {
        let mut peers = Peers::default();
        let socket = join(&mut peers, 1, 1);
        drop(socket);
        let mut slow = Vec::new();
        assert_eq!(peers.send(1, frame("a"), &mut slow), 1);
        assert_eq!(peers.send(1, frame("b"), &mut slow), 1);
        assert!(slow.is_empty());
    }

    #[test]
    fn a_closed_connection_is_told_why_once_and_gets_nothing_more() {
        let mut peers = Peers::default();
        let mut socket = join(&mut peers, 1, 8);
        assert!(peers.close(1, CloseReason::SlowConsumer));
        assert!(!peers.close(1, CloseReason::ServerShutdown));
        assert_eq!(socket.closed.try_recv().unwrap(), CloseReason::SlowConsumer);
        let mut slow = Vec::new();
        assert_eq!(peers.broadcast(&frame("after"), &mut slow), 0);
        assert!(socket.frames.try_recv().is_err());
        assert!(peers.is_empty());
    }
}
