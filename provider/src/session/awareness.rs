//! The awareness (presence) rules of a session: announcing the local state, merging and
//! answering peers, renewal and expiry, and forgetting peers when the socket closes.

use std::sync::Arc;

use ycord_protocol::{encode, forget_remote_state};
use yrs::sync::{AwarenessUpdate, Timestamp};
use yrs::ClientID;

use super::{Output, SessionError, SessionEvent, SyncSession};

impl SyncSession {
    pub(super) fn apply_remote_awareness(&mut self, update: AwarenessUpdate, out: &mut Output) {
        let own = self.client_id();
        let own_clock_before = self.awareness.meta(own).map(|(clock, _)| clock);
        let summary = self
            .awareness
            .apply_update_summary_with(update, self.remote_origin.clone());
        if let Ok(Some(summary)) = summary {
            out.events.push(SessionEvent::AwarenessChanged {
                added: summary.added,
                updated: summary.updated,
                removed: summary.removed,
            });
        }
        // A peer announced us as gone (a `null` at our clock or above). The awareness refused
        // it and moved our clock past theirs; telling everyone is what makes the refusal stick.
        let own_clock_after = self.awareness.meta(own).map(|(clock, _)| clock);
        if own_clock_after != own_clock_before && self.awareness.local_state_raw().is_some() {
            out.frames.extend(self.local_awareness_frame());
        }
    }

    /// Answers a peer's awareness query with every known non-null state.
    pub(super) fn answer_awareness_query(&self, out: &mut Output) {
        let clients: Vec<ClientID> = self
            .awareness
            .iter()
            .filter(|(_, state)| state.data.is_some())
            .map(|(id, _)| id)
            .collect();
        if let Ok(update) = self.awareness.update_with_clients(clients) {
            out.frames.push(encode::awareness(&update));
        }
    }

    /// Sets the local awareness state to `json`. Returns the frame announcing it when a
    /// socket is open.
    ///
    /// # Errors
    /// [`SessionError::InvalidAwarenessState`] when `json` is not valid JSON; nothing changes.
    pub fn set_local_state(&mut self, json: &str) -> Result<Option<Vec<u8>>, SessionError> {
        serde_json::from_str::<serde_json::Value>(json).map_err(|err| {
            SessionError::InvalidAwarenessState {
                detail: err.to_string(),
            }
        })?;
        self.awareness.set_local_state_raw(json);
        Ok(self.local_awareness_changed())
    }

    /// Removes the local awareness state (peers see this client leave). Returns the frame
    /// announcing it when a socket is open.
    pub fn clear_local_state(&mut self) -> Option<Vec<u8>> {
        // No state, nothing to announce (and no clock to bump).
        self.awareness.local_state_raw()?;
        self.awareness.clean_local_state();
        self.local_awareness_changed()
    }

    /// The local awareness state was changed through [`awareness_mut`](Self::awareness_mut).
    /// Returns the frame announcing it when a socket is open.
    pub fn local_awareness_changed(&self) -> Option<Vec<u8>> {
        if self.is_open() {
            self.local_awareness_frame()
        } else {
            None
        }
    }

    /// The frame that tells peers this client is leaving: the local id with a `null` state at
    /// a clock above the current one. The local state itself is kept (at that clock, so a
    /// later [`socket_opened`](Self::socket_opened) re-announces it above the `null`). Send it
    /// just before closing the socket on purpose; `None` when no state was ever announced.
    pub fn leave_frame(&mut self) -> Option<Vec<u8>> {
        let own = self.client_id();
        let (clock, _) = self.awareness.meta(own)?;
        let local = self.awareness.local_state_raw();
        let announced_clock = if local.is_some() { clock + 1 } else { clock };
        let mut update = self.awareness.update_with_clients([own]).ok()?;
        if let Some(entry) = update.clients.get_mut(&own) {
            entry.clock = announced_clock;
            entry.json = Arc::from("null");
        }
        if let Some(json) = local {
            self.awareness.set_local_state_raw(json);
        }
        Some(encode::awareness(&update))
    }

    /// Renews the local state when it is due (frame) and drops remote states that went
    /// silent (event).
    pub(super) fn renew_and_expire_awareness(&mut self, now: Timestamp, out: &mut Output) {
        let timer = self.config.awareness_timer;
        if timer.renew_local(&mut self.awareness, now) {
            out.frames.extend(self.local_awareness_changed());
        }
        // Expiry is local only: announcing a `null` for a peer that is merely slow would hide
        // it from everyone until its next renewal.
        let expiry = timer.expire(&mut self.awareness, now);
        if !expiry.removed.is_empty() {
            out.events.push(SessionEvent::AwarenessChanged {
                added: Vec::new(),
                updated: Vec::new(),
                removed: expiry.removed,
            });
        }
    }

    /// Forgets every remote state, as y-websocket does when its socket closes: without a
    /// connection the session can no longer tell who is present.
    pub(super) fn forget_remote_awareness(&mut self, out: &mut Output) {
        let own = self.client_id();
        let remote: Vec<ClientID> = self
            .awareness
            .iter()
            .filter(|(id, state)| *id != own && state.data.is_some())
            .map(|(id, _)| id)
            .collect();
        // Clocks are kept, as y-protocols keeps them: a server replays present peers one
        // clock above what it sent before, which must be newer than what is remembered here.
        for &id in &remote {
            forget_remote_state(&mut self.awareness, id);
        }
        if !remote.is_empty() {
            out.events.push(SessionEvent::AwarenessChanged {
                added: Vec::new(),
                updated: Vec::new(),
                removed: remote,
            });
        }
    }

    /// The frame announcing the local awareness state (or its removal) at its current clock,
    /// whether or not a socket is open; `None` when no state was ever set. Transports that
    /// also talk to sibling tabs use it to keep them informed while the socket is down.
    pub fn local_awareness_frame(&self) -> Option<Vec<u8>> {
        let update = self
            .awareness
            .update_with_clients([self.client_id()])
            .ok()?;
        Some(encode::awareness(&update))
    }
}
