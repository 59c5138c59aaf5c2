//! Minting HS256 tokens: for `ycord token`, the development token endpoint and tests. A
//! production deployment mints tokens in its own backend, with the same secret or a private
//! key whose public half the relay holds.

use jsonwebtoken::{EncodingKey, Header};

use super::claims::Claims;

/// Signs `claims` with the HS256 `secret` into a compact JWT.
pub fn mint_hs256(secret: &[u8], claims: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing of serialisable claims cannot fail")
}
