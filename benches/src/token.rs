//! Access tokens the clients send, as y-websocket's `params` option does: `?token=` on the
//! WebSocket URL.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use jsonwebtoken::{EncodingKey, Header};
use serde::Serialize;

/// How long a minted token stays valid: longer than any run, so no connection is closed for
/// expiry (4401) while it is measured.
pub const MINTED_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// The shortest HS256 secret a ycord server accepts.
const MIN_SECRET_LEN: usize = 32;

/// Which token, if any, each client puts in its URL.
#[derive(Clone)]
pub enum Tokens {
    /// No token: an open server.
    None,
    /// The same token for every client (`--token`), e.g. one `ycord token --room 'room-*'`
    /// printed.
    Fixed(String),
    /// A token of its own for every client (`--token-secret-file`), signed with this HS256
    /// secret: its room exactly, `rw`, subject `load-{index}`, as a backend that hands each
    /// user a token for the room they open would mint it.
    Minted {
        /// The HS256 key.
        key: EncodingKey,
        /// The `exp` claim of every token, in seconds since the Unix epoch.
        exp: u64,
    },
}

impl Tokens {
    /// Tokens minted with the HS256 secret in `path`, read as the server reads
    /// `--auth-secret-file`: its bytes without a trailing newline.
    ///
    /// # Errors
    /// When the file cannot be read or holds fewer than 32 bytes.
    pub fn minted_from_file(path: &Path) -> anyhow::Result<Tokens> {
        let mut secret = std::fs::read(path)
            .with_context(|| format!("reading the token secret {}", path.display()))?;
        while secret.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            secret.pop();
        }
        Tokens::minted(&secret)
    }

    /// Tokens minted with `secret`, valid for [`MINTED_TOKEN_TTL`] from now.
    ///
    /// # Errors
    /// When `secret` is shorter than 32 bytes (a ycord server refuses such a secret).
    pub fn minted(secret: &[u8]) -> anyhow::Result<Tokens> {
        if secret.len() < MIN_SECRET_LEN {
            bail!(
                "the token secret has {} bytes; a ycord server needs at least {MIN_SECRET_LEN}",
                secret.len()
            );
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the system clock is before 1970")?;
        Ok(Tokens::Minted {
            key: EncodingKey::from_secret(secret),
            exp: (now + MINTED_TOKEN_TTL).as_secs(),
        })
    }

    /// The token client `index` sends to `room` (a room name as in the URL path), if any.
    ///
    /// # Errors
    /// When signing fails.
    pub fn for_client(&self, index: usize, room: &str) -> anyhow::Result<Option<String>> {
        match self {
            Tokens::None => Ok(None),
            Tokens::Fixed(token) => Ok(Some(token.clone())),
            Tokens::Minted { key, exp } => {
                let claims = MintedClaims {
                    room,
                    access: "rw",
                    exp: *exp,
                    sub: format!("load-{index}"),
                };
                let token = jsonwebtoken::encode(&Header::default(), &claims, key)
                    .context("signing a client's token")?;
                Ok(Some(token))
            }
        }
    }

    /// `"none"`, `"fixed"` or `"minted"`, for the report.
    pub fn kind(&self) -> &'static str {
        match self {
            Tokens::None => "none",
            Tokens::Fixed(_) => "fixed",
            Tokens::Minted { .. } => "minted",
        }
    }
}

/// The claims of a ycord access token (the server's `ycord_server::auth::Claims`), written
/// here because the generator does not link the server.
#[derive(Serialize)]
struct MintedClaims<'a> {
    room: &'a str,
    access: &'static str,
    exp: u64,
    sub: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ycord_server::auth::{unix_now, Access, AuthConfig, Verifier};

    const SECRET: &[u8] = b"a load-test secret of at least 32 bytes";

    #[test]
    fn a_minted_token_admits_its_client_to_its_room_only() {
        let tokens = Tokens::minted(SECRET).unwrap();
        let token = tokens.for_client(7, "room-3").unwrap().unwrap();
        let claims = Verifier::new(&AuthConfig::with_secret(SECRET.to_vec()))
            .verify(&token, unix_now())
            .expect("the server accepts the generator's token");
        assert!(claims.covers("room-3"));
        assert!(!claims.covers("room-30"));
        assert_eq!(claims.access, Access::ReadWrite);
        assert_eq!(claims.sub.as_deref(), Some("load-7"));
        assert!(claims.exp >= unix_now() + MINTED_TOKEN_TTL.as_secs() - 60);
    }

    #[test]
    fn a_short_secret_is_refused_before_any_connection() {
        assert!(Tokens::minted(b"too short").is_err());
    }

    #[test]
    fn the_secret_file_loses_its_trailing_newline_as_on_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, [SECRET, b"\n"].concat()).unwrap();
        let token = Tokens::minted_from_file(&path)
            .unwrap()
            .for_client(0, "room-0")
            .unwrap()
            .unwrap();
        let verifier = Verifier::new(&AuthConfig::with_secret(SECRET.to_vec()));
        assert!(verifier.verify(&token, unix_now()).is_ok());
    }

    #[test]
    fn without_tokens_no_client_sends_one() {
        assert_eq!(Tokens::None.for_client(0, "room-0").unwrap(), None);
        let fixed = Tokens::Fixed("abc".into());
        assert_eq!(
            fixed.for_client(5, "room-1").unwrap().as_deref(),
            Some("abc")
        );
    }
}
