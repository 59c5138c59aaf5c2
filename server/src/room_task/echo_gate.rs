//! The server's core promise, without IO: under [`Durability::Sync`] nothing a room sends after
//! an update (its echo to the sender, its relay to the others, an HTTP API answer or read)
//! goes out before the store has confirmed that update and every update before it.
//!
//! The room task hands each batch of [`Effect`]s to [`EchoGate::submit`], passes the appends it
//! gets back to the store in order, and calls [`EchoGate::confirm`] as the store confirms them,
//! oldest first; whatever the gate releases is dispatched in the order it comes out. Under
//! [`Durability::Batched`] updates are echoed at once, and the gate only keeps replies in order.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::config::Durability;
use crate::room::Effect;

/// Something that may go out once the appends submitted before it are durable.
#[derive(Debug, PartialEq)]
pub(crate) enum Held<W> {
    /// Effects of the room, to be dispatched in order.
    Effects(Vec<Effect>),
    /// A caller waiting for an answer (an HTTP API reply or read).
    Waiter(W),
}

/// What the adapter does with one submitted batch, in this order: hand `appends` to the store
/// (in order), then dispatch `ready`.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Submitted {
    /// Updates to store, in the order the room produced them.
    pub(crate) appends: Vec<Bytes>,
    /// Effects that wait for nothing: every append before them is already durable.
    pub(crate) ready: Vec<Effect>,
    /// yrs failed on the document: rebuild it from the store once the appends are durable.
    pub(crate) needs_reload: bool,
}

/// Holds what a room sends behind the appends it must follow.
#[derive(Debug)]
pub(crate) struct EchoGate<W> {
    is_sync: bool,
    /// Appends that held items wait for: submitted so far, and confirmed so far.
    submitted: u64,
    confirmed: u64,
    /// Items in the order they must go out, each with the number of appends it waits for.
    held: VecDeque<(u64, Held<W>)>,
}

impl<W> EchoGate<W> {
    /// An open gate: nothing is pending.
    pub(crate) fn new(durability: Durability) -> Self {
        EchoGate {
            is_sync: durability.is_sync(),
            submitted: 0,
            confirmed: 0,
            held: VecDeque::new(),
        }
    }

    /// Splits the room's effects into appends and what may go out now; the effects after an
    /// append (under sync durability) and everything behind held items stay held.
    pub(crate) fn submit(&mut self, effects: Vec<Effect>) -> Submitted {
        let mut submitted = Submitted::default();
        let mut run = Vec::new();
        for effect in effects {
            match effect {
                Effect::Append(update) => {
                    submitted.appends.push(update);
                    if self.is_sync {
                        let before = std::mem::take(&mut run);
                        self.hold_effects(before, &mut submitted.ready);
                        self.submitted += 1;
                    }
                }
                Effect::Reload => submitted.needs_reload = true,
                other => run.push(other),
            }
        }
        self.hold_effects(run, &mut submitted.ready);
        submitted
    }

    /// Returns `waiter` if it may be answered now, or holds it behind every append submitted
    /// so far (and everything already held).
    pub(crate) fn wait(&mut self, waiter: W) -> Option<W> {
        if self.is_open() {
            Some(waiter)
        } else {
            self.held.push_back((self.submitted, Held::Waiter(waiter)));
            None
        }
    }

    /// The oldest unconfirmed append is durable: returns what no longer waits, in order.
    pub(crate) fn confirm(&mut self) -> Vec<Held<W>> {
        if self.is_sync {
            self.confirmed += 1;
        }
        let mut released = Vec::new();
        while self
            .held
            .front()
            .is_some_and(|(after, _)| *after <= self.confirmed)
        {
            let (_, item) = self.held.pop_front().expect("checked above");
            released.push(item);
        }
        released
    }

    /// The store refused an append: nothing held may go out any more. Returns the waiters, so
    /// that each can be told; the held effects are dropped.
    pub(crate) fn fail(&mut self) -> Vec<W> {
        self.held
            .drain(..)
            .filter_map(|(_, item)| match item {
                Held::Waiter(waiter) => Some(waiter),
                Held::Effects(_) => None,
            })
            .collect()
    }

    /// Nothing is held and every append is confirmed.
    fn is_open(&self) -> bool {
        self.held.is_empty() && self.confirmed >= self.submitted
    }

    fn hold_effects(&mut self, effects: Vec<Effect>, ready: &mut Vec<Effect>) {
        if effects.is_empty() {
            return;
        }
        if self.is_open() {
            ready.extend(effects);
        } else {
            self.held
                .push_back((self.submitted, Held::Effects(effects)));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::close::CloseReason;

    fn update(n: u8) -> Bytes {
        Bytes::from(vec![n])
    }

    fn echo(n: u8) -> Effect {
        Effect::Broadcast(Bytes::from(vec![n, n]))
    }

    fn sync() -> EchoGate<&'static str> {
        EchoGate::new(Durability::Sync)
    }

    fn batched() -> EchoGate<&'static str> {
        EchoGate::new(Durability::Batched {
            interval: Duration::from_millis(50),
        })
    }

    #[test]
    fn nothing_after_an_update_goes_out_before_the_store_confirms_it() {
        let mut gate = sync();
        let step2 = Effect::Send(1, Bytes::from_static(b"step2"));
        let submitted = gate.submit(vec![step2.clone(), Effect::Append(update(1)), echo(1)]);
        assert_eq!(submitted.appends, vec![update(1)]);
        assert_eq!(
            submitted.ready,
            vec![step2],
            "what came before the update waits for nothing"
        );
        assert_eq!(gate.confirm(), vec![Held::Effects(vec![echo(1)])]);
    }

    #[test]
    fn effects_without_an_update_wait_behind_earlier_unconfirmed_updates() {
        let mut gate = sync();
        gate.submit(vec![Effect::Append(update(1)), echo(1)]);
        let close = Effect::Close(2, CloseReason::SlowConsumer);
        let later = gate.submit(vec![close.clone()]);
        assert!(later.ready.is_empty() && later.appends.is_empty());
        assert_eq!(
            gate.confirm(),
            vec![Held::Effects(vec![echo(1)]), Held::Effects(vec![close])]
        );
    }

    #[test]
    fn each_confirmation_releases_only_what_followed_the_confirmed_update() {
        let mut gate = sync();
        gate.submit(vec![Effect::Append(update(1)), echo(1)]);
        gate.submit(vec![Effect::Append(update(2)), echo(2)]);
        assert_eq!(gate.confirm(), vec![Held::Effects(vec![echo(1)])]);
        assert_eq!(gate.confirm(), vec![Held::Effects(vec![echo(2)])]);
        assert!(gate.confirm().is_empty());
    }

    #[test]
    fn updates_of_one_batch_are_stored_in_order_and_echoed_one_by_one() {
        let mut gate = sync();
        let submitted = gate.submit(vec![
            Effect::Append(update(1)),
            echo(1),
            Effect::Append(update(2)),
            echo(2),
        ]);
        assert_eq!(submitted.appends, vec![update(1), update(2)]);
        assert!(submitted.ready.is_empty());
        assert_eq!(gate.confirm(), vec![Held::Effects(vec![echo(1)])]);
        assert_eq!(gate.confirm(), vec![Held::Effects(vec![echo(2)])]);
    }

    #[test]
    fn replies_and_reads_wait_for_every_update_submitted_before_them() {
        let mut gate = sync();
        assert_eq!(gate.wait("read before"), Some("read before"));
        gate.submit(vec![Effect::Append(update(1)), echo(1)]);
        assert_eq!(gate.wait("reply"), None);
        assert_eq!(
            gate.confirm(),
            vec![Held::Effects(vec![echo(1)]), Held::Waiter("reply")]
        );
        assert_eq!(gate.wait("read after"), Some("read after"));
    }

    #[test]
    fn batched_durability_echoes_at_once_and_stores_in_the_background() {
        let mut gate = batched();
        let submitted = gate.submit(vec![Effect::Append(update(1)), echo(1)]);
        assert_eq!(submitted.appends, vec![update(1)]);
        assert_eq!(submitted.ready, vec![echo(1)]);
        assert_eq!(gate.wait("reply"), Some("reply"));
        assert!(gate.confirm().is_empty());
    }

    #[test]
    fn a_store_failure_sends_nothing_held_and_hands_back_every_waiter() {
        let mut gate = sync();
        gate.submit(vec![Effect::Append(update(1)), echo(1)]);
        assert_eq!(gate.wait("first"), None);
        gate.submit(vec![Effect::Append(update(2)), echo(2)]);
        assert_eq!(gate.wait("second"), None);
        assert_eq!(gate.fail(), vec!["first", "second"]);
    }

    #[test]
    fn a_reload_is_asked_for_and_never_dispatched() {
        let mut gate = sync();
        let close = Effect::Close(1, CloseReason::InvalidUpdate(String::new()));
        let submitted = gate.submit(vec![close.clone(), Effect::Reload]);
        assert!(submitted.needs_reload);
        assert_eq!(submitted.ready, vec![close]);
    }
}
