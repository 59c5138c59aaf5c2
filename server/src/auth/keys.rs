//! The keys a server verifies tokens with, and how it treats what they grant.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey};

/// How a server checks tokens. With an `AuthConfig` in [`crate::Config::auth`], every
/// WebSocket upgrade and every `/api/` request needs a token; without one the server is open.
#[derive(Clone)]
pub struct AuthConfig {
    /// The HS256 shared secret (`--auth-secret-file`, `YCORD_AUTH_SECRET`).
    pub secret: Option<Secret>,
    /// EdDSA / ES256 public keys (`--auth-public-key`, repeatable), chosen by the token's
    /// `kid`: a node holding only these can verify tokens but not mint them.
    pub public_keys: Vec<PublicKey>,
    /// When set, a token must name this audience in `aud`. When unset, a token that carries
    /// an `aud` is refused: it was meant for some other service.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf` (default zero).
    pub leeway: Duration,
    /// Whether a read-only connection's awareness (cursor, name) reaches the room
    /// (default `true`).
    pub relay_read_only_awareness: bool,
}

impl AuthConfig {
    /// Verification with an HS256 shared secret only.
    pub fn with_secret(secret: impl Into<Vec<u8>>) -> AuthConfig {
        AuthConfig {
            secret: Some(Secret::new(secret)),
            ..AuthConfig::default()
        }
    }
}

impl Default for AuthConfig {
    /// No key at all: every token is refused. Set [`AuthConfig::secret`] or
    /// [`AuthConfig::public_keys`].
    fn default() -> Self {
        AuthConfig {
            secret: None,
            public_keys: Vec::new(),
            audience: None,
            leeway: Duration::ZERO,
            relay_read_only_awareness: true,
        }
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("secret", &self.secret)
            .field("public_keys", &self.public_keys)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .field("relay_read_only_awareness", &self.relay_read_only_awareness)
            .finish()
    }
}

/// An HS256 secret. Its `Debug` output never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps the secret's bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(bytes.into())
    }

    /// Reads a secret file: its bytes, without a trailing newline (editors add one).
    ///
    /// # Errors
    /// When the file cannot be read, or holds fewer than 32 bytes (HS256 needs a 256-bit key).
    pub fn from_file(path: &Path) -> Result<Secret, KeyError> {
        let bytes = std::fs::read(path).map_err(|err| KeyError::Read {
            path: path.display().to_string(),
            reason: err.to_string(),
        })?;
        Secret::checked(trim_newline(bytes))
    }

    /// The secret, refused when shorter than 32 bytes.
    ///
    /// # Errors
    /// When `bytes` is shorter than 32 bytes.
    pub fn checked(bytes: impl Into<Vec<u8>>) -> Result<Secret, KeyError> {
        let bytes = bytes.into();
        if bytes.len() < Secret::MIN_LEN {
            return Err(KeyError::ShortSecret { len: bytes.len() });
        }
        Ok(Secret(bytes))
    }

    /// The shortest secret [`Secret::checked`] accepts (256 bits, the HS256 key size).
    pub const MIN_LEN: usize = 32;

    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

fn trim_newline(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        bytes.pop();
    }
    bytes
}

/// A public key tokens can be signed for, named by the `kid` tokens carry.
#[derive(Clone)]
pub struct PublicKey {
    kid: String,
    algorithm: Algorithm,
    key: DecodingKey,
}

impl PublicKey {
    /// An Ed25519 (EdDSA) or P-256 (ES256) public key in PEM (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// # Errors
    /// When the PEM holds neither kind of public key.
    pub fn from_pem(kid: impl Into<String>, pem: &[u8]) -> Result<PublicKey, KeyError> {
        let kid = kid.into();
        let (algorithm, key) = if let Ok(key) = DecodingKey::from_ed_pem(pem) {
            (Algorithm::EdDSA, key)
        } else if let Ok(key) = DecodingKey::from_ec_pem(pem) {
            (Algorithm::ES256, key)
        } else {
            return Err(KeyError::NotAPublicKey { kid });
        };
        Ok(PublicKey {
            kid,
            algorithm,
            key,
        })
    }

    /// Reads a PEM file; its `kid` is the file name without extension (`keys/node-1.pem` is
    /// `node-1`).
    ///
    /// # Errors
    /// When the file cannot be read or holds no supported public key.
    pub fn from_file(path: &Path) -> Result<PublicKey, KeyError> {
        let pem = std::fs::read(path).map_err(|err| KeyError::Read {
            path: path.display().to_string(),
            reason: err.to_string(),
        })?;
        let kid = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        PublicKey::from_pem(kid, &pem)
    }

    /// The key's id, matched against the token header's `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// `"EdDSA"` or `"ES256"`.
    pub fn algorithm_name(&self) -> &'static str {
        match self.algorithm {
            Algorithm::EdDSA => "EdDSA",
            _ => "ES256",
        }
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub(crate) fn key(&self) -> &DecodingKey {
        &self.key
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm_name())
            .finish()
    }
}

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// What the system said.
        reason: String,
    },
    /// The HS256 secret is too short to be safe.
    #[error(
        "the HS256 secret has {len} bytes; at least 32 are needed (e.g. `openssl rand -hex 32`)"
    )]
    ShortSecret {
        /// Its length.
        len: usize,
    },
    /// The PEM is not an Ed25519 or P-256 public key.
    #[error("key {kid}: not an Ed25519 or P-256 public key in PEM")]
    NotAPublicKey {
        /// The key's id.
        kid: String,
    },
}
