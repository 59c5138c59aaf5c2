//! Provider state as signals, and `<SyncStatus/>`.

use std::ops::Deref;

use leptos::prelude::*;
use tokio::sync::watch;
use ycord_provider::{Status, WebsocketProvider};

/// What [`use_provider_status`] returns.
#[derive(Clone, Copy)]
pub struct UseProviderStatusReturn {
    /// The connection status. [`Status::Unauthorized`] when the server refused the access
    /// token and the provider has no [`TokenSource`](ycord_provider::TokenSource) to replace
    /// it (see [`ProviderOptions::token_source`](ycord_provider::ProviderOptions::token_source)).
    pub status: Signal<Status>,
    /// Whether the document has received the server's state since the socket opened.
    pub synced: Signal<bool>,
    /// The server's reason the last time it refused this client's messages
    /// ([`WebsocketProvider::permission_denied`]): `Some("read-only")` on a ycord server when
    /// the token is read-only, so a page can show that edits stay local.
    pub permission_denied: Signal<Option<String>>,
}

/// The provider's connection status, synced flag and permission denial as signals. They
/// follow the provider's watches until the current owner is cleaned up or the provider is
/// dropped.
///
/// The access token is given to the provider itself, in its
/// [`ProviderOptions`](ycord_provider::ProviderOptions) (`token`, `token_source`); in the
/// browser `TokenSource::from_url("/your/token/endpoint")` fetches one from your backend.
///
/// Needs a Leptos executor (any CSR/SSR app has one; in tests
/// `any_spawner::Executor::init_*`).
pub fn use_provider_status(provider: &WebsocketProvider) -> UseProviderStatusReturn {
    let status = follow(provider.status_changes());
    let synced = follow(provider.synced_changes());
    let permission_denied = follow(provider.permission_denied_changes());
    UseProviderStatusReturn {
        status: status.into(),
        synced: synced.into(),
        permission_denied: permission_denied.into(),
    }
}

/// A signal mirroring a watch channel until the owner is cleaned up or the sender is gone.
pub(crate) fn follow<T>(mut rx: watch::Receiver<T>) -> ArcReadSignal<T>
where
    T: Clone + Send + Sync + 'static,
{
    let signal = ArcRwSignal::new(rx.borrow_and_update().clone());
    let (stop_tx, mut stop_rx) = watch::channel(false);
    on_cleanup(move || {
        let _ = stop_tx.send(true);
    });
    let writer = signal.clone();
    leptos::task::spawn_local(async move {
        loop {
            tokio::select! {
                changed = rx.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let value = rx.borrow_and_update().clone();
                    writer.set(value);
                }
                _ = stop_rx.changed() => break,
            }
        }
    });
    signal.read_only()
}

/// Something that derefs to a [`WebsocketProvider`] (`Rc`, `Arc`, `&'static`…), for hooks that
/// keep the provider past the call.
pub trait ProviderRef: Deref<Target = WebsocketProvider> + 'static {}
impl<P: Deref<Target = WebsocketProvider> + 'static> ProviderRef for P {}

/// A small status line for a provider: "connecting", "connected", "synced", "offline" or
/// "unauthorized", in a `<span class="ycord-sync-status" data-status=…>`.
#[component]
pub fn SyncStatus(
    /// The connection status, e.g. from [`use_provider_status`].
    #[prop(into)]
    status: Signal<Status>,
    /// Whether the document is synced.
    #[prop(into)]
    synced: Signal<bool>,
) -> impl IntoView {
    let label = move || status_label(status.get(), synced.get());
    view! { <span class="ycord-sync-status" data-status=label>{label}</span> }
}

/// The word `<SyncStatus/>` shows for a status.
pub fn status_label(status: Status, synced: bool) -> &'static str {
    match (status, synced) {
        (Status::Connected, true) => "synced",
        (Status::Connected, false) => "connected",
        (Status::Connecting, _) => "connecting",
        (Status::Disconnected, _) => "offline",
        (Status::Unauthorized, _) => "unauthorized",
    }
}
