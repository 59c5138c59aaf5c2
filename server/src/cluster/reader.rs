//! Following the streams of the rooms a node serves: one blocking `XREAD` over all of them,
//! from the last id read per room.

use std::collections::HashMap;
use std::time::Duration;

use super::entry::{EntryError, StreamEntry};
use super::error::ClusterError;
use super::keys::room_stream_key;
use super::link::{is_no_such_key, RedisLink};
use super::node_id::NodeId;
use super::position::{check_position, LostReason, PositionLost, StreamInfo};
use super::reply::{self, RawEntry, ReplyError};
use super::stream_id::StreamId;

/// How a [`StreamReader`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReaderOptions {
    /// `XREAD BLOCK`: how long one read waits for new entries.
    pub(crate) block: Duration,
    /// `XREAD COUNT`: at most this many entries per room and read. Must not exceed the
    /// retention's `max_len`: a full batch is what makes the reader check for trimming.
    pub(crate) batch: usize,
    /// The largest payload accepted; a larger entry is reported as garbled.
    pub(crate) max_payload: usize,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            block: Duration::from_secs(2),
            batch: 500,
            max_payload: crate::Limits::default().max_document_size,
        }
    }
}

/// What reading the streams produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReaderEvent {
    /// Another node's entry.
    Entry {
        /// The room whose stream it is on.
        room: String,
        /// Its id, the room's position once it is handled.
        id: StreamId,
        /// What it carries.
        entry: StreamEntry,
    },
    /// An entry that does not decode; the reader has moved past it.
    Garbled {
        /// The room whose stream it is on.
        room: String,
        /// Its id.
        id: StreamId,
        /// What is wrong with it.
        error: EntryError,
    },
    /// The room's position fell out of what Redis retains: entries published after it may be
    /// gone. Reload the room from the store and merge; the reader goes on from
    /// [`PositionLost::resume_from`] (or later), so nothing retained is skipped.
    PositionLost {
        /// The room.
        room: String,
        /// Why, and from where the reader goes on.
        lost: PositionLost,
    },
}

struct FollowedRoom {
    room: String,
    position: StreamId,
    /// Check the position against `XINFO STREAM` before the next read.
    needs_check: bool,
}

/// Follows the streams of several rooms, skipping this node's own entries.
///
/// Delivery is at least once: every entry published after a room's position is returned, or
/// its loss is reported with [`ReaderEvent::PositionLost`]. After a failed read the next call
/// reconnects and goes on from the last id per room.
///
/// [`next_events`](Self::next_events) is cancel-safe: dropping its future loses nothing (a
/// dropped blocking read only costs a reconnect, as Redis would answer the next command on
/// that connection only after the block ends).
pub(crate) struct StreamReader {
    link: RedisLink,
    node: NodeId,
    options: ReaderOptions,
    /// By stream key.
    rooms: HashMap<Vec<u8>, FollowedRoom>,
    /// `INFO server`'s run id at the last connect: a new one means Redis restarted.
    run_id: Option<String>,
    /// Set while a blocking read is awaited; still set at the next call if it was dropped.
    is_reading: bool,
    /// The last connection broke: check every position when connected again.
    was_interrupted: bool,
    /// Events decided but not yet returned (kept here so a dropped call loses none).
    pending: Vec<ReaderEvent>,
}

impl StreamReader {
    /// A reader for `node` on the Redis at `url`; nothing connects before the first read.
    ///
    /// # Errors
    /// A URL the redis crate does not accept.
    pub(crate) fn new(
        url: &str,
        node: NodeId,
        options: ReaderOptions,
    ) -> Result<Self, ClusterError> {
        // A blocking read legitimately takes `block`: the response timeout must be longer.
        let response_timeout = options.block + super::link::REQUEST_TIMEOUT;
        let link = RedisLink::open(url, &format!("ycord-reader-{node}"), response_timeout)?;
        Ok(StreamReader {
            link,
            node,
            options: ReaderOptions {
                batch: options.batch.max(1),
                ..options
            },
            rooms: HashMap::new(),
            run_id: None,
            is_reading: false,
            was_interrupted: false,
            pending: Vec::new(),
        })
    }

    /// Follows `room` from `position` (exclusive): the position loading the room read up to,
    /// or `0-0` for everything retained. It is checked against the stream before the next
    /// read. Following a room again moves its position.
    pub(crate) fn follow(&mut self, room: &str, position: StreamId) {
        self.rooms.insert(
            room_stream_key(room).into_bytes(),
            FollowedRoom {
                room: room.to_owned(),
                position,
                needs_check: true,
            },
        );
    }

    /// Stops following `room`.
    pub(crate) fn unfollow(&mut self, room: &str) {
        self.rooms.remove(room_stream_key(room).as_bytes());
        self.pending.retain(|event| event_room(event) != room);
    }

    /// The id of the last entry read from `room`'s stream, if it is followed.
    #[cfg(test)]
    pub(crate) fn position(&self, room: &str) -> Option<StreamId> {
        self.rooms
            .get(room_stream_key(room).as_bytes())
            .map(|followed| followed.position)
    }

    /// Waits up to the block time for entries of the followed rooms and returns them, in
    /// stream order per room, with any lost positions first. Returns an empty list when
    /// nothing came (or no room is followed, after waiting the block time).
    ///
    /// # Errors
    /// Redis unreachable or failing: call again (after a pause) to reconnect and resume.
    pub(crate) async fn next_events(&mut self) -> Result<Vec<ReaderEvent>, ClusterError> {
        if self.is_reading {
            // The previous call was dropped mid-read: its XREAD still blocks that connection.
            self.link.reset();
            self.is_reading = false;
        }
        if !self.link.is_connected() {
            self.on_connect().await?;
        }
        self.check_flagged_positions().await?;
        if !self.pending.is_empty() {
            return Ok(std::mem::take(&mut self.pending));
        }
        if self.rooms.is_empty() {
            tokio::time::sleep(self.options.block).await;
            return Ok(Vec::new());
        }

        let mut command = redis::cmd("XREAD");
        command
            .arg("COUNT")
            .arg(self.options.batch)
            .arg("BLOCK")
            .arg(u64::try_from(self.options.block.as_millis()).unwrap_or(u64::MAX));
        command.arg("STREAMS");
        let keys: Vec<&Vec<u8>> = self.rooms.keys().collect();
        for key in &keys {
            command.arg(key.as_slice());
        }
        for key in &keys {
            command.arg(self.rooms[*key].position.to_string());
        }
        self.is_reading = true;
        let result = self.link.query(&command).await;
        self.is_reading = false;
        let streams = match result.and_then(|value| Ok(reply::streams(value)?)) {
            Ok(streams) => streams,
            Err(err) => {
                self.interrupted();
                return Err(err);
            }
        };

        // Checks first (they await), state changes after: a dropped call changes nothing.
        let mut losses = Vec::new();
        for (key, entries) in &streams {
            if entries.len() < self.options.batch {
                continue;
            }
            let Some(followed) = self.rooms.get(key) else {
                continue;
            };
            // A full batch means the reader lags: trimming may have overtaken it.
            let before = followed.position;
            let info = self.stream_info(key).await?;
            if let Err(lost) = check_position(before, info) {
                losses.push((key.clone(), lost));
            }
        }
        for (key, lost) in losses {
            // The position moves on with the entries of this batch, past the resume point.
            if let Some(followed) = self.rooms.get(&key) {
                self.pending.push(ReaderEvent::PositionLost {
                    room: followed.room.clone(),
                    lost,
                });
            }
        }
        for (key, entries) in streams {
            self.take_entries(&key, entries);
        }
        Ok(std::mem::take(&mut self.pending))
    }

    /// After (re)connecting: a changed run id means Redis restarted and lost what it held.
    async fn on_connect(&mut self) -> Result<(), ClusterError> {
        let info: String = match self.link.query(redis::cmd("INFO").arg("server")).await {
            Ok(info) => info,
            Err(err) => {
                self.interrupted();
                return Err(err);
            }
        };
        let run_id = reply::run_id(&info)
            .ok_or_else(|| ReplyError("INFO server has no run_id".into()))?
            .to_owned();
        let restarted = self.run_id.as_ref().is_some_and(|known| *known != run_id);
        self.run_id = Some(run_id);
        if restarted {
            for followed in self.rooms.values_mut() {
                if followed.position != StreamId::ZERO {
                    followed.position = StreamId::ZERO;
                    self.pending.push(ReaderEvent::PositionLost {
                        room: followed.room.clone(),
                        lost: PositionLost {
                            reason: LostReason::ServerRestarted,
                            resume_from: StreamId::ZERO,
                        },
                    });
                }
            }
        }
        if std::mem::take(&mut self.was_interrupted) {
            // Streams may have expired or been trimmed while the reader was away.
            for followed in self.rooms.values_mut() {
                followed.needs_check = true;
            }
        }
        Ok(())
    }

    async fn check_flagged_positions(&mut self) -> Result<(), ClusterError> {
        let flagged: Vec<Vec<u8>> = self
            .rooms
            .iter()
            .filter(|(_, followed)| followed.needs_check)
            .map(|(key, _)| key.clone())
            .collect();
        for key in flagged {
            let info = self.stream_info(&key).await?;
            // Unfollowed or moved while awaiting? Then this check is stale.
            let Some(followed) = self.rooms.get_mut(&key) else {
                continue;
            };
            followed.needs_check = false;
            if let Err(lost) = check_position(followed.position, info) {
                followed.position = lost.resume_from;
                self.pending.push(ReaderEvent::PositionLost {
                    room: followed.room.clone(),
                    lost,
                });
            }
        }
        Ok(())
    }

    /// `XINFO STREAM key`; `None` if the key does not exist.
    async fn stream_info(&mut self, key: &[u8]) -> Result<Option<StreamInfo>, ClusterError> {
        match self
            .link
            .query(redis::cmd("XINFO").arg("STREAM").arg(key))
            .await
        {
            Ok(value) => Ok(Some(reply::stream_info(value)?)),
            Err(err) if is_no_such_key(&err) => Ok(None),
            Err(err) => {
                self.interrupted();
                Err(err)
            }
        }
    }

    fn take_entries(&mut self, key: &[u8], entries: Vec<RawEntry>) {
        let Some(followed) = self.rooms.get_mut(key) else {
            return;
        };
        for raw in entries {
            if raw.id <= followed.position {
                continue;
            }
            followed.position = raw.id;
            match raw.decode(self.options.max_payload) {
                Ok(entry) if entry.node == self.node => {}
                Ok(entry) => self.pending.push(ReaderEvent::Entry {
                    room: followed.room.clone(),
                    id: raw.id,
                    entry,
                }),
                Err(error) => self.pending.push(ReaderEvent::Garbled {
                    room: followed.room.clone(),
                    id: raw.id,
                    error,
                }),
            }
        }
    }

    fn interrupted(&mut self) {
        if !self.link.is_connected() {
            self.was_interrupted = true;
        }
    }
}

fn event_room(event: &ReaderEvent) -> &str {
    match event {
        ReaderEvent::Entry { room, .. }
        | ReaderEvent::Garbled { room, .. }
        | ReaderEvent::PositionLost { room, .. } => room,
    }
}
