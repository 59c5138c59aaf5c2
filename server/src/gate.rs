//! Who may open a room or call the HTTP API: the token check in front of every WebSocket
//! upgrade and `/api/` request. Refusals are answered, logged and counted here.

use std::sync::Arc;

use warp::http::{HeaderMap, StatusCode};

use crate::auth::{self, source, Access, AuthConfig, Claims, TokenError, Verifier};
use crate::metrics::Metrics;
use crate::refusal::Refusal;

/// What an API request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// A token for the room, `ro` or `rw`.
    Read,
    /// An `rw` token for the room.
    Write,
    /// An admin token (`"room": "*"`).
    Admin,
}

/// What an admitted client may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Admitted {
    pub(crate) access: Access,
    /// The token's `sub`, if any.
    pub(crate) sub: Option<String>,
    /// The token's `exp`, if the server checks tokens.
    pub(crate) expires_at: Option<u64>,
}

impl Admitted {
    fn open() -> Self {
        Admitted {
            access: Access::ReadWrite,
            sub: None,
            expires_at: None,
        }
    }
}

/// The token check of one server.
#[derive(Clone)]
pub(crate) struct Gate {
    /// Shared: the routes are cloned for every HTTP connection, and the keys need not be.
    verifier: Option<Arc<Verifier>>,
    /// The clock skew the verifier tolerates, so a connection lasts as long as its token
    /// is accepted (not closed the moment it opens).
    leeway: u64,
    pub(crate) relay_read_only_awareness: bool,
    metrics: Arc<Metrics>,
}

impl Gate {
    pub(crate) fn new(auth: Option<&AuthConfig>, metrics: Arc<Metrics>) -> Self {
        Gate {
            verifier: auth.map(|auth| Arc::new(Verifier::new(auth))),
            leeway: auth.map_or(0, |auth| auth.leeway.as_secs()),
            relay_read_only_awareness: auth.is_none_or(|auth| auth.relay_read_only_awareness),
            metrics,
        }
    }

    /// Whether tokens are checked at all.
    pub(crate) fn is_open(&self) -> bool {
        self.verifier.is_none()
    }

    /// The check of a WebSocket upgrade to `room`.
    pub(crate) fn admit_upgrade(
        &self,
        room: &str,
        headers: &HeaderMap,
        query: &str,
    ) -> Result<Admitted, Refusal> {
        let Some(verifier) = &self.verifier else {
            return Ok(Admitted::open());
        };
        let claims = source::upgrade_token(headers, query)
            .and_then(|token| verifier.verify(&token, auth::unix_now()))
            .map_err(|err| self.refuse("websocket", room, token_refusal(&err)))?;
        if !claims.covers(room) {
            return Err(self.refuse("websocket", room, wrong_room(&claims, room)));
        }
        Ok(admitted(claims, self.leeway))
    }

    /// The check of a token that arrived inside a connection (Hocuspocus's auth message) for
    /// document `room`: verified and matched to the room exactly as at a WebSocket upgrade, and
    /// a refusal logged and counted as one there.
    pub(crate) fn admit_token(&self, room: &str, token: &str) -> Result<Admitted, Refusal> {
        let Some(verifier) = &self.verifier else {
            return Ok(Admitted::open());
        };
        let claims = verifier
            .verify(token, auth::unix_now())
            .map_err(|err| self.refuse("websocket", room, token_refusal(&err)))?;
        if !claims.covers(room) {
            return Err(self.refuse("websocket", room, wrong_room(&claims, room)));
        }
        Ok(admitted(claims, self.leeway))
    }

    /// The check of an API request about `room` (`None`: about the server, e.g. the list).
    pub(crate) fn admit_api(
        &self,
        room: Option<&str>,
        need: Need,
        headers: &HeaderMap,
    ) -> Result<Admitted, Refusal> {
        let Some(verifier) = &self.verifier else {
            return Ok(Admitted::open());
        };
        let shown = room.unwrap_or("");
        let claims = source::api_token(headers)
            .and_then(|token| verifier.verify(&token, auth::unix_now()))
            .map_err(|err| self.refuse("api", shown, token_refusal(&err)))?;
        let refusal = match (need, room) {
            (Need::Admin, _) | (_, None) if !claims.is_admin() => Some(Refusal::new(
                StatusCode::FORBIDDEN,
                "admin_required",
                "this needs an admin token (\"room\": \"*\")",
            )),
            (_, Some(room)) if !claims.covers(room) => Some(wrong_room(&claims, room)),
            (Need::Write, _) if !claims.access.can_write() => Some(Refusal::new(
                StatusCode::FORBIDDEN,
                "read_only",
                "this token is read-only (\"access\": \"ro\"); this needs \"rw\"",
            )),
            _ => None,
        };
        match refusal {
            Some(refusal) => Err(self.refuse("api", shown, refusal)),
            None => Ok(admitted(claims, self.leeway)),
        }
    }

    /// Logs and counts `refusal`, and hands it back.
    pub(crate) fn refuse(&self, endpoint: &'static str, room: &str, refusal: Refusal) -> Refusal {
        refusal.log(endpoint, room);
        self.metrics.refused(endpoint, refusal.reason);
        refusal
    }
}

fn admitted(claims: Claims, leeway: u64) -> Admitted {
    Admitted {
        access: claims.access,
        sub: claims.sub,
        expires_at: Some(claims.exp.saturating_add(leeway)),
    }
}

fn token_refusal(err: &TokenError) -> Refusal {
    Refusal::new(StatusCode::UNAUTHORIZED, err.reason(), err.to_string())
}

fn wrong_room(claims: &Claims, room: &str) -> Refusal {
    Refusal::new(
        StatusCode::FORBIDDEN,
        "wrong_room",
        format!("the token is for room \"{}\", not \"{room}\"", claims.room),
    )
}

/// Every reason a refusal of this file can give, so each counter starts at zero.
pub(crate) fn every_reason() -> impl Iterator<Item = &'static str> {
    TokenError::every_reason().into_iter().chain([
        "wrong_room",
        "admin_required",
        "read_only",
        "metrics_loopback_only",
        "origin_not_allowed",
        "server_full",
        "room_full",
        "too_many_connections_from_address",
    ])
}
