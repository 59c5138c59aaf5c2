//! The document observer that forwards local edits to the transport's task.
//!
//! yrs 0.28 registers an update observer inside a write transaction. `Doc::observe_update_v1`
//! only *tries* to open one and fails while any transaction of the document is open, and
//! `transact_mut()` would block the thread (natively, forever if that thread holds the
//! transaction) or panic (wasm32). A provider created while the application holds a
//! transaction therefore cannot observe the document yet, and yrs offers no signal for the
//! moment the transaction ends. So registration is retried: the constructor tries once, and
//! the task keeps trying every [`LocalUpdates::RETRY`] before it opens any socket or joins
//! other tabs. Nothing is lost meanwhile: every edit committed before the observer exists is
//! part of the document the first connection's SyncStep1/SyncStep2 exchange delivers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use yrs::{Doc, Origin};

use super::Command;

/// Where the observer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registration {
    /// Local edits are forwarded.
    Registered,
    /// The document was busy (a transaction is open); try again later.
    Pending,
    /// The provider is gone; nothing will be registered any more.
    Closed,
}

/// Forwards every committed transaction not applied by the session (its `remote_origin`) to
/// the task as [`Command::LocalUpdate`].
pub(crate) struct LocalUpdates {
    doc: Doc,
    key: Origin,
    remote_origin: Origin,
    commands: mpsc::UnboundedSender<Command>,
    registration: Mutex<Registration>,
}

impl LocalUpdates {
    /// How long the task waits before trying again while the document is busy.
    pub(crate) const RETRY: Duration = Duration::from_millis(10);

    /// An observer for `doc`, not registered yet: call [`register`](Self::register).
    pub(crate) fn new(
        doc: Doc,
        remote_origin: Origin,
        commands: mpsc::UnboundedSender<Command>,
    ) -> Self {
        static NEXT_OBSERVER: AtomicU64 = AtomicU64::new(0);
        let key = Origin::from(format!(
            "ycord-provider/updates/{}",
            NEXT_OBSERVER.fetch_add(1, Ordering::Relaxed)
        ));
        LocalUpdates {
            doc,
            key,
            remote_origin,
            commands,
            registration: Mutex::new(Registration::Pending),
        }
    }

    /// Registers the observer unless it is already registered or closed. Never blocks:
    /// [`Registration::Pending`] means a transaction of the document is open right now.
    pub(crate) fn register(&self) -> Registration {
        let mut registration = self
            .registration
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *registration != Registration::Pending {
            return *registration;
        }
        let remote_origin = self.remote_origin.clone();
        let commands = self.commands.clone();
        // The document is locked while this runs: only forward the bytes.
        let observed = self
            .doc
            .observe_update_v1(self.key.clone(), move |txn, event| {
                if txn.origin() != Some(&remote_origin) {
                    let _ = commands.send(Command::LocalUpdate(event.update.clone()));
                }
            });
        if observed.is_ok() {
            *registration = Registration::Registered;
        }
        *registration
    }

    /// The provider is being dropped: remove the observer (or make sure it is never added).
    /// Never blocks, so that dropping a provider inside one of the document's observers
    /// cannot deadlock; should the document be busy, the observer stays, forwarding into a
    /// closed channel.
    pub(crate) fn close(&self, url: &str) {
        let mut registration = self
            .registration
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *registration == Registration::Registered
            && self.doc.unobserve_update_v1(self.key.clone()).is_err()
        {
            tracing::debug!(%url, "document busy; update observer left in place");
        }
        *registration = Registration::Closed;
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use yrs::{Text, Transact};

    fn observer(doc: &Doc) -> (LocalUpdates, mpsc::UnboundedReceiver<Command>) {
        let (commands, received) = mpsc::unbounded_channel();
        let updates = LocalUpdates::new(doc.clone(), Origin::from("remote"), commands);
        (updates, received)
    }

    fn local_updates(received: &mut mpsc::UnboundedReceiver<Command>) -> usize {
        let mut count = 0;
        while let Ok(command) = received.try_recv() {
            assert!(matches!(command, Command::LocalUpdate(_)), "{command:?}");
            count += 1;
        }
        count
    }

    #[test]
    fn registration_waits_for_an_open_transaction_instead_of_failing_silently() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("text");
        let (updates, mut received) = observer(&doc);
        {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 0, "while busy");
            assert_eq!(updates.register(), Registration::Pending);
        }
        assert_eq!(updates.register(), Registration::Registered);
        assert_eq!(updates.register(), Registration::Registered, "idempotent");
        text.insert(&mut doc.transact_mut(), 0, "local ");
        assert_eq!(local_updates(&mut received), 1);
    }

    #[test]
    fn remote_origin_transactions_are_not_forwarded() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("text");
        let (updates, mut received) = observer(&doc);
        assert_eq!(updates.register(), Registration::Registered);
        text.insert(&mut doc.transact_mut_with("remote"), 0, "from the server");
        assert_eq!(local_updates(&mut received), 0);
        text.insert(&mut doc.transact_mut_with("app"), 0, "from the app");
        assert_eq!(local_updates(&mut received), 1);
    }

    #[test]
    fn a_closed_observer_forwards_nothing_and_is_never_registered_again() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("text");
        let (updates, mut received) = observer(&doc);
        assert_eq!(updates.register(), Registration::Registered);
        updates.close("ws://x/r");
        text.insert(&mut doc.transact_mut(), 0, "after close");
        assert_eq!(local_updates(&mut received), 0);
        assert_eq!(updates.register(), Registration::Closed);

        let (pending, _received) = observer(&doc);
        pending.close("ws://x/r");
        assert_eq!(pending.register(), Registration::Closed);
    }
}
