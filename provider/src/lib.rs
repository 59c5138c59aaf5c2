//! `ycord-provider` — keeps a yrs document in sync with a y-websocket server.
//!
//! ```no_run
//! use ycord_provider::{new_doc, ProviderOptions, WebsocketProvider};
//! use yrs::{GetString, Text, Transact};
//!
//! # #[tokio::main] async fn main() {
//! let doc = new_doc();
//! let text = doc.get_or_insert_text("content");
//! let provider = WebsocketProvider::new("ws://127.0.0.1:1234", "my-room", doc.clone(), ProviderOptions::default());
//! provider.set_local_state(r#"{"user":{"name":"bot"}}"#);
//! provider.wait_synced().await;
//!
//! // One edit, one transaction; the provider sends it as soon as it commits.
//! text.insert(&mut doc.transact_mut(), 0, "hello ");
//! println!("{}", text.get_string(&doc.transact()));
//! provider.disconnect().await;
//! # }
//! ```
//!
//! Two layers:
//! - [`SyncSession`]: the y-websocket client protocol without I/O — socket events, frames and
//!   time in, frames and [`SessionEvent`]s out. Every transport reuses it unchanged.
//! - [`WebsocketProvider`]: a background task that drives a session over a real socket, with
//!   jittered reconnect backoff, optional resync, awareness renewal and expiry, liveness
//!   checks, and status / synced watches. The handle and the reconnect policy are the same on
//!   every build; only the transport differs: tokio + tokio-tungstenite natively, the
//!   browser's `WebSocket` (plus cross-tab sync) on wasm32.
//!
//! The same provider connects to a Hocuspocus server (`@hocuspocus/server` 4.x) with
//! [`ProviderOptions::dialect`] set to [`Dialect::Hocuspocus`]: the room is then the
//! Hocuspocus document name and the token travels in Hocuspocus's auth message. Natively,
//! several providers (one per document) can share one Hocuspocus socket through
//! `ProviderOptions::hocuspocus_socket`, as `HocuspocusProviderWebsocket` does in JavaScript.
//! Hocuspocus's stateless messages go out with [`WebsocketProvider::send_stateless`] and come
//! in on [`WebsocketProvider::stateless_messages`].
//!
//! Documents shared with JavaScript peers should come from [`new_doc`]: 32-bit client ids and
//! UTF-16 text offsets, as in Yjs.
#![warn(missing_docs)]

#[cfg(target_arch = "wasm32")]
mod browser;
mod core;
mod dialect;
mod doc;
mod error;
#[cfg(not(target_arch = "wasm32"))]
mod native;
mod options;
mod room_url;
mod session;
mod status;
mod token;

// The transport of this build. Each provides `SessionClock` and `Transport`; see `core`.
#[cfg(target_arch = "wasm32")]
use browser as transport;
#[cfg(not(target_arch = "wasm32"))]
use native as transport;

pub use self::core::{WebsocketProvider, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF};
#[cfg(target_arch = "wasm32")]
pub use browser::{page_relay_url, room_path, TokenRequest};
pub use dialect::Dialect;
pub use doc::new_doc;
pub use error::ProviderError;
#[cfg(not(target_arch = "wasm32"))]
pub use native::HocuspocusSocket;
pub use options::ProviderOptions;
pub use session::{
    Output, SessionConfig, SessionError, SessionEvent, SyncSession, DEFAULT_LIVENESS_TIMEOUT,
    HOCUSPOCUS_KEEP_ALIVE, READ_ONLY_REASON,
};
pub use status::Status;
pub use token::{TokenError, TokenFuture, TokenSource};
