//! Observers whose lifetime is the reactive owner that registered them.
//!
//! yrs observers are keyed and stay registered until `unobserve(key)`; dropping the handle
//! does nothing. Every observer the bindings register gets a fresh key and an `on_cleanup`
//! that removes it, and carries a token so leaks are countable: [`live_observers`] is for tests
//! that mount and unmount components and check nothing stays registered.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use leptos::prelude::on_cleanup;
use yrs::types::{DeepObservable, Events, Observable};
use yrs::{Doc, Origin, TransactionMut};

static NEXT_KEY: AtomicU64 = AtomicU64::new(1);
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// How many observer callbacks registered by these bindings yrs still holds.
///
/// Each callback owns a token counted here; the count drops when yrs releases the callback
/// (on `unobserve`). After every owner that used a hook is disposed it returns to the value
/// it had before: a test that mounts and unmounts components can assert there is no leak.
pub fn live_observers() -> usize {
    LIVE.load(Ordering::SeqCst)
}

/// Counted while alive; moved into every callback handed to yrs.
pub(crate) struct LiveObserver(());

impl LiveObserver {
    pub(crate) fn new() -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        LiveObserver(())
    }
}

impl Drop for LiveObserver {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A key no other observer of this process uses.
pub(crate) fn fresh_key() -> Origin {
    let n = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
    Origin::from(format!("ycord-leptos/observer/{n}"))
}

/// Observes `shared` until the current reactive owner is cleaned up.
pub(crate) fn observe_scoped<S, F>(shared: &S, mut f: F)
where
    S: Observable + Clone + Send + Sync + 'static,
    F: FnMut(&TransactionMut, &S::Event) + Send + Sync + 'static,
    yrs::types::Event: AsRef<S::Event>,
{
    let key = fresh_key();
    let token = LiveObserver::new();
    shared.observe(key.clone(), move |txn, event| {
        let _alive = &token;
        f(txn, event)
    });
    let shared = shared.clone();
    on_cleanup(move || {
        shared.unobserve(key);
    });
}

/// Observes `shared` and everything nested in it until the current owner is cleaned up.
pub(crate) fn observe_deep_scoped<S, F>(shared: &S, mut f: F)
where
    S: DeepObservable + Clone + Send + Sync + 'static,
    F: FnMut(&TransactionMut, &Events) + Send + Sync + 'static,
{
    let key = fresh_key();
    let token = LiveObserver::new();
    shared.observe_deep(key.clone(), move |txn, events| {
        let _alive = &token;
        f(txn, events)
    });
    let shared = shared.clone();
    on_cleanup(move || {
        shared.unobserve_deep(key);
    });
}

/// Runs `f` after every committed transaction of `doc` until the current owner is cleaned up.
///
/// # Panics
/// If called while a transaction of `doc` is open (registration needs the document lock).
pub(crate) fn after_transaction_scoped<F>(doc: &Doc, f: F)
where
    F: Fn(&TransactionMut) + Send + Sync + 'static,
{
    let key = fresh_key();
    let token = LiveObserver::new();
    doc.observe_after_transaction(key.clone(), move |txn| {
        let _alive = &token;
        f(txn)
    })
    .expect("observe_after_transaction: a transaction of this document is open");
    let doc = doc.clone();
    on_cleanup(move || {
        let _ = doc.unobserve_after_transaction(key);
    });
}
