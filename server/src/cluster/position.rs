//! Whether a reader's position in a room's stream is still covered by what Redis retains,
//! decided from `XINFO STREAM` alone (sans-IO).
//!
//! A position is `0-0` or the id of an entry the node read. Stream ids are not dense (the
//! entry after `5-0` may be `9-0`), so no arithmetic on ids tells whether entries were
//! missed. What does: trimming removes the oldest entries, so while the position's own entry
//! is retained (the first retained id is not after it) nothing after it was trimmed. Once
//! the first retained id is after the position, entries after the position may be gone; it
//! is reported as lost. (That is conservative only when a trim cut exactly at the position,
//! which needs the reader to lag a whole retention length behind.) Redis's
//! `max-deleted-entry-id` counts `XDEL` only, not trimming, so it covers deletions by hand.

use super::stream_id::StreamId;

/// What `XINFO STREAM` says about a room's stream, as far as positions are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamInfo {
    /// The id of the newest entry ever added (deleted or not).
    pub(crate) last_generated: StreamId,
    /// The id of the oldest retained entry; `None` for an empty stream.
    pub(crate) first_retained: Option<StreamId>,
    /// The id of the newest entry ever deleted with `XDEL` (trimming does not count);
    /// `0-0` if none was.
    pub(crate) max_deleted: StreamId,
}

/// Why a reader's position no longer covers everything published after it: the room must be
/// reloaded from the store (and merged) while the reader goes on from
/// [`PositionLost::resume_from`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LostReason {
    /// The position's entry and maybe later ones were trimmed (or deleted) before they were
    /// read.
    Trimmed,
    /// The stream is gone (its key expired or was evicted) while the position is past `0-0`.
    StreamMissing,
    /// The stream's newest id is older than the position: the key was recreated.
    StreamRecreated,
    /// The Redis server restarted (its run id changed): what it held may be gone.
    ServerRestarted,
}

/// A position that fell out of the retained stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PositionLost {
    /// What happened.
    pub(crate) reason: LostReason,
    /// Where following goes on: `0-0`, everything the stream still retains.
    pub(crate) resume_from: StreamId,
}

/// Checks `position` against the stream's state (`None`: no such key). `0-0` is never lost:
/// it claims nothing about what came before.
pub(crate) fn check_position(
    position: StreamId,
    stream: Option<StreamInfo>,
) -> Result<(), PositionLost> {
    let lost = |reason| {
        Err(PositionLost {
            reason,
            resume_from: StreamId::ZERO,
        })
    };
    if position == StreamId::ZERO {
        return Ok(());
    }
    let Some(stream) = stream else {
        return lost(LostReason::StreamMissing);
    };
    if position > stream.last_generated {
        return lost(LostReason::StreamRecreated);
    }
    let trimmed_past_position = match stream.first_retained {
        Some(first) => first > position,
        // Empty: anything added after the position is gone.
        None => stream.last_generated > position,
    };
    if trimmed_past_position || stream.max_deleted > position {
        return lost(LostReason::Trimmed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(millis: u64, sequence: u64) -> StreamId {
        StreamId { millis, sequence }
    }

    fn stream(
        last_generated: StreamId,
        first_retained: Option<StreamId>,
        max_deleted: StreamId,
    ) -> Option<StreamInfo> {
        Some(StreamInfo {
            last_generated,
            first_retained,
            max_deleted,
        })
    }

    fn lost(reason: LostReason) -> Result<(), PositionLost> {
        Err(PositionLost {
            reason,
            resume_from: StreamId::ZERO,
        })
    }

    #[test]
    fn a_position_whose_entry_is_retained_is_kept() {
        // Entries after 5-0 may have any larger id (9-0 here): no gap is implied.
        let info = stream(id(20, 0), Some(id(5, 0)), StreamId::ZERO);
        assert_eq!(check_position(id(5, 0), info), Ok(()));
        let info = stream(id(20, 0), Some(id(3, 0)), StreamId::ZERO);
        assert_eq!(check_position(id(5, 0), info), Ok(()));
        assert_eq!(check_position(id(20, 0), info), Ok(()));
    }

    #[test]
    fn a_position_trimmed_away_is_lost() {
        let info = stream(id(20, 0), Some(id(9, 0)), StreamId::ZERO);
        assert_eq!(check_position(id(5, 0), info), lost(LostReason::Trimmed));
        let emptied = stream(id(20, 0), None, StreamId::ZERO);
        assert_eq!(check_position(id(5, 0), emptied), lost(LostReason::Trimmed));
        assert_eq!(check_position(id(20, 0), emptied), Ok(()));
    }

    #[test]
    fn an_entry_deleted_after_the_position_loses_it() {
        let info = stream(id(20, 0), Some(id(3, 0)), id(7, 0));
        assert_eq!(check_position(id(5, 0), info), lost(LostReason::Trimmed));
        assert_eq!(check_position(id(7, 0), info), Ok(()));
    }

    #[test]
    fn the_start_is_never_lost() {
        assert_eq!(check_position(StreamId::ZERO, None), Ok(()));
        let info = stream(id(20, 0), Some(id(9, 0)), id(8, 0));
        assert_eq!(check_position(StreamId::ZERO, info), Ok(()));
    }

    #[test]
    fn a_missing_stream_loses_every_position_but_the_start() {
        assert_eq!(
            check_position(id(1, 0), None),
            lost(LostReason::StreamMissing)
        );
    }

    #[test]
    fn a_stream_younger_than_the_position_was_recreated() {
        let info = stream(id(40, 0), Some(id(30, 0)), StreamId::ZERO);
        assert_eq!(
            check_position(id(50, 0), info),
            lost(LostReason::StreamRecreated)
        );
    }
}
