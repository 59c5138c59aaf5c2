//! Checking a token: its shape, its algorithm, its signature, then its claims.

use std::collections::HashMap;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::claims::Claims;
use super::keys::AuthConfig;

/// The longest token looked at; anything longer is refused unread.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Why a token was refused. Every variant maps to HTTP 401 and a stable
/// [`TokenError::reason`]; none of them repeats the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No token was given.
    #[error("a token is required")]
    Missing,
    /// Several tokens were given (query, header, subprotocol) and it is not clear which counts.
    #[error("several tokens were given; send exactly one")]
    Ambiguous,
    /// Not a JWT of three base64url parts with JSON inside, or claims of the wrong shape.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// An algorithm this server does not accept (`none` included).
    #[error("the token's algorithm is not accepted here")]
    UnsupportedAlgorithm,
    /// The token's `kid` names no configured public key.
    #[error("the token names a key this server does not have")]
    UnknownKey,
    /// The signature does not match.
    #[error("the token's signature is not valid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still to come.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `aud` does not name this server's audience (or names one when none is configured).
    #[error("the token is meant for another audience")]
    WrongAudience,
}

impl TokenError {
    /// A short, stable label for logs, metrics and the refusal's JSON `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            TokenError::Missing => "missing_token",
            TokenError::Ambiguous => "ambiguous_token",
            TokenError::Malformed(_) => "malformed_token",
            TokenError::UnsupportedAlgorithm => "unsupported_algorithm",
            TokenError::UnknownKey => "unknown_key",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired => "expired_token",
            TokenError::NotYetValid => "token_not_yet_valid",
            TokenError::WrongAudience => "wrong_audience",
        }
    }

    /// Every reason, so each counter on `/metrics` starts at zero.
    pub fn every_reason() -> [&'static str; 9] {
        [
            "missing_token",
            "ambiguous_token",
            "malformed_token",
            "unsupported_algorithm",
            "unknown_key",
            "bad_signature",
            "expired_token",
            "token_not_yet_valid",
            "wrong_audience",
        ]
    }
}

/// Verifies tokens against an [`AuthConfig`]'s keys. Which algorithms are accepted follows
/// from the keys alone (HS256 with a secret; EdDSA or ES256 per public key), never from the
/// token: a token cannot choose `none`, nor HS256 signed with a public key.
#[derive(Clone)]
pub struct Verifier {
    secret: Option<DecodingKey>,
    public_keys: HashMap<String, (Algorithm, DecodingKey)>,
    audience: Option<String>,
    leeway: u64,
}

impl Verifier {
    /// A verifier for `config`'s keys.
    pub fn new(config: &AuthConfig) -> Verifier {
        Verifier {
            secret: config
                .secret
                .as_ref()
                .map(|secret| DecodingKey::from_secret(secret.as_bytes())),
            public_keys: config
                .public_keys
                .iter()
                .map(|key| (key.kid().to_owned(), (key.algorithm(), key.key().clone())))
                .collect(),
            audience: config.audience.clone(),
            leeway: config.leeway.as_secs(),
        }
    }

    /// Checks `token` at `now` (seconds since the Unix epoch) and returns its claims. The
    /// HMAC comparison is constant-time (the `hmac` crate's `verify_slice`).
    ///
    /// # Errors
    /// The first thing wrong with the token.
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed("longer than 8 KiB"));
        }
        if token.split('.').count() != 3 {
            return Err(TokenError::Malformed("not three dot-separated parts"));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|err| match err.kind() {
            // An algorithm jsonwebtoken does not even name (`none`, lower-case spellings)
            // fails here as JSON; report it as what it is when the header says so.
            ErrorKind::Json(json) if json.to_string().contains("unknown variant") => {
                TokenError::UnsupportedAlgorithm
            }
            _ => TokenError::Malformed("the header is not base64url JSON"),
        })?;
        if header
            .typ
            .as_deref()
            .is_some_and(|typ| !typ.eq_ignore_ascii_case("JWT"))
        {
            return Err(TokenError::Malformed("the header's typ is not JWT"));
        }
        if header.crit.is_some() {
            // RFC 7515 §4.1.11: extensions the verifier does not understand must be refused.
            return Err(TokenError::Malformed(
                "the header names critical extensions",
            ));
        }
        let key = match header.alg {
            Algorithm::HS256 => self
                .secret
                .as_ref()
                .ok_or(TokenError::UnsupportedAlgorithm)?,
            Algorithm::EdDSA | Algorithm::ES256 => {
                self.public_key(header.alg, header.kid.as_deref())?
            }
            _ => return Err(TokenError::UnsupportedAlgorithm),
        };

        let mut validation = Validation::new(header.alg);
        validation.set_required_spec_claims(&["exp"]);
        // Times are checked below against `now`, so that tests can choose it.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                validation.set_required_spec_claims(&["exp", "aud"]);
            }
            None => validation.aud = None,
        }
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|err| match err.kind() {
                ErrorKind::InvalidSignature
                | ErrorKind::InvalidEcdsaKey
                | ErrorKind::InvalidEddsaKey => TokenError::BadSignature,
                ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
                    TokenError::UnsupportedAlgorithm
                }
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => {
                    TokenError::WrongAudience
                }
                ErrorKind::MissingRequiredClaim(_) => {
                    TokenError::Malformed("a required claim (exp) is missing")
                }
                _ => TokenError::Malformed(
                    "the claims are not JSON with room, access (\"rw\" or \"ro\") and exp, each once",
                ),
            })?
            .claims;

        if claims.room.is_empty() {
            return Err(TokenError::Malformed("the room claim is empty"));
        }
        if now >= claims.exp.saturating_add(self.leeway) {
            return Err(TokenError::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| now.saturating_add(self.leeway) < nbf)
        {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }

    fn public_key(&self, alg: Algorithm, kid: Option<&str>) -> Result<&DecodingKey, TokenError> {
        let (key_alg, key) = match kid {
            Some(kid) => self.public_keys.get(kid).ok_or(TokenError::UnknownKey)?,
            // Without a kid the key is only unambiguous when there is exactly one.
            None if self.public_keys.len() == 1 => self
                .public_keys
                .values()
                .next()
                .ok_or(TokenError::UnknownKey)?,
            None => return Err(TokenError::UnknownKey),
        };
        if *key_alg != alg {
            return Err(TokenError::UnsupportedAlgorithm);
        }
        Ok(key)
    }
}
