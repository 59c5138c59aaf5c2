//! Presence: the awareness states of the other clients in a room.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::BindingError;
use crate::provider::{follow, ProviderRef};

/// What [`use_presence`] returns.
pub struct UsePresenceReturn<T, S, C>
where
    T: Send + Sync + 'static,
    S: Fn(&T) -> Result<(), BindingError> + Clone + Send + Sync,
    C: Fn() + Clone + Send + Sync,
{
    /// The other clients' states by client id. States that are not a `T` are left out.
    pub others: Signal<BTreeMap<u64, T>>,
    /// This client's awareness id.
    pub client_id: u64,
    /// Publishes this client's state.
    pub set_local: S,
    /// Withdraws this client's state (peers see it leave).
    pub clear_local: C,
}

/// Presence for a provider: the other clients' awareness states as typed values, and setters
/// for the local state. Updates until the current owner is cleaned up.
///
/// The provider stays on this thread (the browser provider is not `Send`); the setters may be
/// moved into `Send` closures but must be called on the thread that created them.
// The commands are opaque closures, as in leptos-use; their types cannot be named shorter.
#[allow(clippy::type_complexity)]
pub fn use_presence<T, P>(
    provider: P,
) -> UsePresenceReturn<
    T,
    impl Fn(&T) -> Result<(), BindingError> + Clone + Send + Sync,
    impl Fn() + Clone + Send + Sync,
>
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    P: ProviderRef,
{
    let client_id = provider.client_id();
    let changes = follow(provider.awareness_changes());
    let provider = StoredValue::new_local(provider);
    let others = Signal::derive(move || {
        changes.track();
        provider
            .try_with_value(|p| {
                p.awareness_states()
                    .into_iter()
                    .filter(|(id, _)| *id != client_id)
                    .filter_map(|(id, json)| serde_json::from_str(&json).ok().map(|v| (id, v)))
                    .collect()
            })
            .unwrap_or_default()
    });
    let set_local = move |state: &T| {
        let json =
            serde_json::to_string(state).map_err(|e| BindingError::Serialize(e.to_string()))?;
        provider.with_value(|p| p.set_local_state(&json));
        Ok(())
    };
    let clear_local = move || provider.with_value(|p| p.clear_local_state());
    UsePresenceReturn {
        others,
        client_id,
        set_local,
        clear_local,
    }
}
