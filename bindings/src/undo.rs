//! Undo/redo over chosen shared types, local edits only.

use std::sync::{Arc, Mutex};

use leptos::prelude::*;
use yrs::branch::Branch;
use yrs::undo::{Options, UndoManager};
use yrs::Doc;

use crate::origin::local_origin;
use crate::subscription::after_transaction_scoped;

/// Options of [`use_undo_with_options`].
#[derive(Debug, Clone)]
pub struct UseUndoOptions {
    /// Local edits closer together than this many milliseconds undo as one step (default 500).
    pub capture_timeout_millis: u64,
}

impl Default for UseUndoOptions {
    fn default() -> Self {
        Self {
            capture_timeout_millis: 500,
        }
    }
}

/// What [`use_undo`] returns.
pub struct UseUndoReturn<U, R, S>
where
    U: Fn() -> bool + Clone + Send + Sync,
    R: Fn() -> bool + Clone + Send + Sync,
    S: Fn() + Clone + Send + Sync,
{
    /// Whether there is a local step to undo.
    pub can_undo: Signal<bool>,
    /// Whether there is an undone step to redo.
    pub can_redo: Signal<bool>,
    /// Undoes the last local step; `false` if there was none.
    pub undo: U,
    /// Redoes the last undone step; `false` if there was none.
    pub redo: R,
    /// Ends the current step: the next edit starts a new one even within the capture timeout.
    pub stop_capturing: S,
}

/// Undo/redo over `scope` (one or more shared types of `doc`). Only edits made through the
/// bindings (the [local origin](crate::origin::local_origin)) are recorded; remote edits are
/// never undone. The undo manager and its observers go away when the current owner is cleaned up.
///
/// # Panics
/// If called while a transaction of `doc` is open.
// The commands are opaque closures, as in leptos-use; their types cannot be named shorter.
#[allow(clippy::type_complexity)]
pub fn use_undo(
    doc: &Doc,
    scope: &[&dyn AsRef<Branch>],
) -> UseUndoReturn<
    impl Fn() -> bool + Clone + Send + Sync,
    impl Fn() -> bool + Clone + Send + Sync,
    impl Fn() + Clone + Send + Sync,
> {
    use_undo_with_options(doc, scope, UseUndoOptions::default())
}

/// [`use_undo`] with options.
// The commands are opaque closures, as in leptos-use; their types cannot be named shorter.
#[allow(clippy::type_complexity)]
pub fn use_undo_with_options(
    doc: &Doc,
    scope: &[&dyn AsRef<Branch>],
    options: UseUndoOptions,
) -> UseUndoReturn<
    impl Fn() -> bool + Clone + Send + Sync,
    impl Fn() -> bool + Clone + Send + Sync,
    impl Fn() + Clone + Send + Sync,
> {
    let mut manager: UndoManager<()> = UndoManager::with_options(Options {
        capture_timeout_millis: options.capture_timeout_millis,
        tracked_origins: Default::default(),
        capture_transaction: None,
        timestamp: Arc::new(now_millis),
        init_undo_stack: Vec::new(),
        init_redo_stack: Vec::new(),
    });
    for shared in scope {
        manager.expand_scope(doc, shared);
    }
    manager.include_origin(local_origin());
    let manager = Arc::new(Mutex::new(Some(manager)));
    {
        let manager = manager.clone();
        on_cleanup(move || {
            // Dropping the manager removes its document observers.
            manager.lock().expect("undo manager poisoned").take();
        });
    }

    let changed = ArcTrigger::new();
    {
        let changed = changed.clone();
        after_transaction_scoped(doc, move |_| changed.notify());
    }
    let state = |f: fn(&UndoManager<()>) -> bool, manager: Arc<Mutex<Option<UndoManager<()>>>>| {
        move || {
            manager
                .lock()
                .expect("undo manager poisoned")
                .as_ref()
                .is_some_and(f)
        }
    };
    let can_undo = {
        let changed = changed.clone();
        let read = state(UndoManager::can_undo, manager.clone());
        Signal::from(ArcMemo::new(move |_| {
            changed.track();
            read()
        }))
    };
    let can_redo = {
        let changed = changed.clone();
        let read = state(UndoManager::can_redo, manager.clone());
        Signal::from(ArcMemo::new(move |_| {
            changed.track();
            read()
        }))
    };
    let act = |f: fn(&mut UndoManager<()>) -> bool,
               manager: Arc<Mutex<Option<UndoManager<()>>>>| {
        move || {
            manager
                .lock()
                .expect("undo manager poisoned")
                .as_mut()
                .is_some_and(f)
        }
    };
    let undo = act(UndoManager::undo_blocking, manager.clone());
    let redo = act(UndoManager::redo_blocking, manager.clone());
    let stop_capturing = move || {
        if let Some(m) = manager.lock().expect("undo manager poisoned").as_mut() {
            m.reset();
        }
        changed.notify();
    };
    UseUndoReturn {
        can_undo,
        can_redo,
        undo,
        redo,
        stop_capturing,
    }
}

#[cfg(target_arch = "wasm32")]
fn now_millis() -> u64 {
    js_sys::Date::now() as u64
}

#[cfg(not(target_arch = "wasm32"))]
fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
