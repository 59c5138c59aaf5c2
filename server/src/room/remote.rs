//! What reaches a room from the other nodes of a cluster: updates they stored, their clients'
//! awareness states, and the loss of a node.
//!
//! Entries come through Redis, which anyone with access to it can write to, so they are
//! decoded and validated as completely as a client's frame; a bad one is refused without
//! touching the document. An update another node published is already stored, so it is
//! relayed to this node's connections but not stored again. When it fills the gap before an
//! update a client of this node sent early (held back, never stored), that held update is
//! applied then and stored by this node, as it would be after a completing update from a client
//! here; and when it completes structs waiting for their dependencies, what the document took
//! is stored too.

use bytes::Bytes;
use ycord_protocol::{decode_frame, encode, Message};

use super::{decode_update, Applied, Effect, Rejected, Room};
use crate::conn_id::ConnId;
use crate::presence::Relay;

impl Room {
    /// Applies an update another node stored and published. It is validated like a client's
    /// and applied without the document size limit (the publishing node admitted it; refusing
    /// it here would leave the nodes disagreeing).
    ///
    /// # Errors
    /// The update is invalid (nothing was applied) or yrs failed part-way; the effects of
    /// whatever part was integrated come with the error.
    pub fn apply_remote(&mut self, update: Bytes) -> Result<Vec<Effect>, Rejected> {
        let decoded = decode_update(&update).map_err(|reason| Rejected {
            reason,
            partial: Vec::new(),
        })?;
        let mut effects = match self.apply(decoded, &update, None)? {
            Applied::Nothing | Applied::Held(_) => Vec::new(),
            Applied::AsReceived => vec![Effect::Broadcast(encode::sync_update(&update).into())],
            Applied::Diff(diff) => super::diff_effects(diff),
        };
        effects.extend(self.release_waiting());
        Ok(effects)
    }

    /// Applies an awareness frame another node relayed for its clients; `owner` stands for
    /// that node here ([`crate::conn_id::NODE_OWNER_BASE`] and up).
    ///
    /// # Errors
    /// The frame is not a well-formed awareness message.
    pub fn apply_remote_awareness(
        &mut self,
        owner: ConnId,
        frame: &Bytes,
    ) -> Result<Vec<Effect>, String> {
        let messages = decode_frame(frame).map_err(|err| err.to_string())?;
        let is_single = messages.len() == 1;
        let mut updates = Vec::with_capacity(messages.len());
        for message in messages {
            match message {
                Message::Awareness(update) => updates.push(update),
                _ => return Err("an awareness entry holds a message other than awareness".into()),
            }
        }
        let mut effects = Vec::new();
        for update in updates {
            let own_frame = (!is_single).then(|| Bytes::from(encode::awareness(&update)));
            match self.presence.apply_from_node(owner, update) {
                Relay::Nothing => {}
                Relay::AsReceived => {
                    effects.push(Effect::Broadcast(
                        own_frame.unwrap_or_else(|| frame.clone()),
                    ));
                }
                Relay::Rewritten(update) => {
                    effects.push(Effect::Broadcast(encode::awareness(&update).into()));
                }
            }
        }
        Ok(effects)
    }

    /// Removes the awareness states of a node that stopped (its heartbeat expired), telling
    /// this node's connections.
    pub fn release_node(&mut self, owner: ConnId) -> Vec<Effect> {
        match self.presence.release(owner) {
            Some(removed) => vec![Effect::Broadcast(encode::awareness(&removed).into())],
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
