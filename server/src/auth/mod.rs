//! Access tokens: JWTs naming a room (or a prefix of rooms), an access level and an expiry.
//!
//! A server with an [`AuthConfig`] refuses every WebSocket upgrade and `/api/` request without
//! a valid token for the room: HTTP 401 for a missing or bad token, 403 for a valid token for
//! another room, before any WebSocket exists (y-websocket clients retry a closed socket within
//! a few hundred milliseconds, so refusing after accepting would only invite a storm). A
//! connection whose token expires is closed with 4401.
//!
//! ```
//! use std::time::Duration;
//! use ycord_server::auth::{mint_hs256, Access, AuthConfig, Claims, Verifier};
//!
//! let secret = b"an example secret of at least 32 bytes!!";
//! let token = mint_hs256(secret, &Claims::new("team-a/*", Access::ReadOnly, Duration::from_secs(3600)));
//! let verifier = Verifier::new(&AuthConfig::with_secret(secret.to_vec()));
//! let claims = verifier.verify(&token, ycord_server::auth::unix_now()).unwrap();
//! assert!(claims.covers("team-a/notes") && !claims.access.can_write());
//! ```

mod claims;
mod keys;
mod mint;
pub(crate) mod read_only;
pub(crate) mod source;
mod verifier;

pub use claims::{Access, Audience, Claims};
pub use keys::{AuthConfig, KeyError, PublicKey, Secret};
pub use mint::mint_hs256;
pub use source::{SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX};
pub use verifier::{TokenError, Verifier, MAX_TOKEN_LEN};

/// Seconds since the Unix epoch, the clock tokens are checked against.
pub fn unix_now() -> u64 {
    claims::unix_now()
}
