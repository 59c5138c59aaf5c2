//! Awareness timing rules that yrs's `Awareness` leaves to its caller.
//!
//! y-protocols peers renew their own state every 15 s and drop remote states that have not
//! been renewed for 30 s. [`AwarenessTimer`] computes what is due at a given time from the
//! `last_updated` timestamps the `Awareness` already records with its injected clock; the
//! adapter decides when to call it (see [`AwarenessTimer::next_deadline`]).

use std::collections::HashMap;
use std::sync::Arc;

use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{Awareness, AwarenessUpdate, Timestamp};
use yrs::ClientID;

/// A peer renews its own awareness state this long after the last change (ms).
pub const RENEW_AFTER_MS: u64 = 15_000;
/// A remote awareness state not renewed for this long is dropped (ms).
pub const EXPIRE_AFTER_MS: u64 = 30_000;

/// Renewal and expiry intervals, by default those of y-protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwarenessTimer {
    /// Renew the local state after this many milliseconds without a change.
    pub renew_after_ms: u64,
    /// Drop a remote state after this many milliseconds without a renewal.
    pub expire_after_ms: u64,
}

impl Default for AwarenessTimer {
    fn default() -> Self {
        AwarenessTimer {
            renew_after_ms: RENEW_AFTER_MS,
            expire_after_ms: EXPIRE_AFTER_MS,
        }
    }
}

/// What [`AwarenessTimer::expire`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expiry {
    /// Remote clients whose state was dropped, now at their bumped clock with a `null` state.
    pub removed: Vec<ClientID>,
}

impl AwarenessTimer {
    /// Re-sets the local state with the same content when it is due for renewal, which bumps
    /// its clock and timestamp. Returns whether it did, i.e. whether the caller must send the
    /// local state to its peers.
    pub fn renew_local(&self, awareness: &mut Awareness, now: Timestamp) -> bool {
        let local = awareness.client_id();
        let Some(json) = awareness.local_state_raw() else {
            return false;
        };
        let Some((_, last_updated)) = awareness.meta(local) else {
            return false;
        };
        if now.saturating_sub(last_updated) < self.renew_after_ms {
            return false;
        }
        awareness.set_local_state_raw(json);
        true
    }

    /// Removes every remote state not renewed for [`AwarenessTimer::expire_after_ms`].
    pub fn expire(&self, awareness: &mut Awareness, now: Timestamp) -> Expiry {
        let local = awareness.client_id();
        let stale: Vec<ClientID> = awareness
            .iter()
            .filter(|(id, state)| {
                *id != local
                    && state.data.is_some()
                    && now.saturating_sub(state.last_updated) >= self.expire_after_ms
            })
            .map(|(id, _)| id)
            .collect();
        for &id in &stale {
            forget_remote_state(awareness, id);
        }
        Expiry { removed: stale }
    }

    /// The earliest time at which [`renew_local`](Self::renew_local) or
    /// [`expire`](Self::expire) will have something to do, or `None` when no state is held.
    pub fn next_deadline(&self, awareness: &Awareness) -> Option<Timestamp> {
        let local = awareness.client_id();
        awareness
            .iter()
            .filter(|(_, state)| state.data.is_some())
            .map(|(id, state)| {
                let after = if id == local {
                    self.renew_after_ms
                } else {
                    self.expire_after_ms
                };
                state.last_updated.saturating_add(after)
            })
            .min()
    }
}

/// Drops a remote client's state but keeps its clock, as y-protocols does when a peer times
/// out or the socket closes. (yrs's `remove_state` also bumps the clock, after which the peer's
/// next renewal, or a server's replay of its unchanged state, would be refused as not newer.)
pub fn forget_remote_state(awareness: &mut Awareness, id: ClientID) {
    let Some((clock, _)) = awareness.meta(id) else {
        return;
    };
    let removal = AwarenessUpdateEntry {
        clock,
        json: Arc::from("null"),
    };
    let update = AwarenessUpdate {
        clients: HashMap::from([(id, removal)]),
    };
    // A `null` at the known clock is the removal rule of the protocol; it cannot fail for a
    // remote id (only our own id refuses a removal, and callers never pass it).
    let _ = awareness.apply_update(update);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use yrs::{Doc, Options};

    fn awareness(id: u64, clock: &ManualClock) -> Awareness {
        let doc = Doc::with_options(Options {
            client_id: ClientID::new(id),
            ..Options::default()
        });
        Awareness::with_clock(doc, clock.clone())
    }

    #[test]
    fn local_state_is_renewed_after_fifteen_seconds_not_before() {
        let clock = ManualClock::new(1_000);
        let mut local = awareness(1, &clock);
        local.set_local_state_raw(r#"{"name":"a"}"#);
        let timer = AwarenessTimer::default();
        assert_eq!(timer.next_deadline(&local), Some(16_000));

        clock.advance(14_999);
        assert!(!timer.renew_local(&mut local, clock.now()));
        clock.advance(1);
        assert!(timer.renew_local(&mut local, clock.now()));
        assert_eq!(local.meta(local.client_id()).unwrap(), (2, 16_000));
        assert_eq!(local.local_state_raw().as_deref(), Some(r#"{"name":"a"}"#));
    }

    #[test]
    fn remote_state_expires_after_thirty_seconds_without_renewal() {
        let clock = ManualClock::new(0);
        let mut remote = awareness(2, &clock);
        remote.set_local_state_raw("{}");
        let mut local = awareness(1, &clock);
        local.set_local_state_raw("{}");
        local.apply_update(remote.update().unwrap()).unwrap();
        let timer = AwarenessTimer::default();

        clock.advance(20_000);
        // A renewal from the remote peer restarts its 30 s.
        assert!(timer.renew_local(&mut remote, clock.now()));
        local.apply_update(remote.update().unwrap()).unwrap();
        clock.advance(29_999);
        assert!(timer.expire(&mut local, clock.now()).removed.is_empty());
        clock.advance(1);
        let expiry = timer.expire(&mut local, clock.now());
        assert_eq!(expiry.removed, vec![ClientID::new(2)]);
        assert!(local.state::<serde_json::Value>(ClientID::new(2)).is_none());
        // The local state never expires.
        assert!(local.local_state_raw().is_some());
    }

    #[test]
    fn an_expired_peer_is_visible_again_with_its_next_renewal() {
        let clock = ManualClock::new(0);
        let mut remote = awareness(2, &clock);
        remote.set_local_state_raw("{}");
        let mut local = awareness(1, &clock);
        local.apply_update(remote.update().unwrap()).unwrap();
        let timer = AwarenessTimer::default();
        clock.advance(30_000);
        assert_eq!(timer.expire(&mut local, clock.now()).removed.len(), 1);
        // The peer was only slow: its renewal (one clock up) must be accepted.
        assert!(timer.renew_local(&mut remote, clock.now()));
        local.apply_update(remote.update().unwrap()).unwrap();
        assert!(local.state::<serde_json::Value>(ClientID::new(2)).is_some());
    }
}
