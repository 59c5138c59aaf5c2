//! What a token grants: a room (or a family of rooms), an access level, and a lifetime.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// What a token lets its holder do in the rooms it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// Read and write (`"rw"`).
    #[serde(rename = "rw")]
    ReadWrite,
    /// Read only (`"ro"`): the document and awareness, but no edits.
    #[serde(rename = "ro")]
    ReadOnly,
}

impl Access {
    /// `"rw"` or `"ro"`, as in the token.
    pub fn as_str(&self) -> &'static str {
        match self {
            Access::ReadWrite => "rw",
            Access::ReadOnly => "ro",
        }
    }

    /// Whether this access may change documents.
    pub fn can_write(&self) -> bool {
        matches!(self, Access::ReadWrite)
    }
}

/// The `aud` claim: one audience or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "ycord"`.
    One(String),
    /// `"aud": ["ycord", "other"]`.
    Many(Vec<String>),
}

/// The claims of a ycord token. Other claims (`iat`, `iss`, `jti`, …) may be present and are
/// ignored; a claim given twice makes the token malformed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The room: an exact room name (the raw URL path after `/`, as clients address it), or a
    /// prefix ending in `*` (`team-a/*`). `"*"` alone is an admin token: every room, and the
    /// room list.
    pub room: String,
    /// What the holder may do there.
    pub access: Access,
    /// Expiry, in seconds since the Unix epoch (required): the token is refused from this
    /// second on, and a connection opened with it is closed with 4401 then.
    pub exp: u64,
    /// Not before, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Who holds the token; shown in logs and in the room's connection list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Who the token is for; checked when the server is configured with an audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

impl Claims {
    /// Claims for `room` with `access`, expiring `ttl` from now.
    pub fn new(room: impl Into<String>, access: Access, ttl: Duration) -> Claims {
        Claims {
            room: room.into(),
            access,
            exp: unix_now().saturating_add(ttl.as_secs().max(1)),
            nbf: None,
            sub: None,
            aud: None,
        }
    }

    /// Whether the `room` claim covers `room`.
    pub fn covers(&self, room: &str) -> bool {
        match self.room.strip_suffix('*') {
            Some(prefix) => room.starts_with(prefix),
            None => self.room == room,
        }
    }

    /// Whether this is an admin token (`"room": "*"`).
    pub fn is_admin(&self) -> bool {
        self.room == "*"
    }
}

/// Seconds since the Unix epoch.
pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(room: &str) -> Claims {
        Claims::new(room, Access::ReadWrite, Duration::from_secs(60))
    }

    #[test]
    fn an_exact_room_claim_covers_only_that_room() {
        let claims = claims("team-a/notes");
        assert!(claims.covers("team-a/notes"));
        assert!(!claims.covers("team-a/notes2"));
        assert!(!claims.covers("team-a"));
        assert!(!claims.is_admin());
    }

    #[test]
    fn a_prefix_claim_covers_its_rooms_and_no_others() {
        let claims = claims("team-a/*");
        assert!(claims.covers("team-a/x"));
        assert!(claims.covers("team-a/x/y"));
        assert!(!claims.covers("team-b/x"));
        assert!(!claims.covers("team-a"));
        assert!(!claims.covers("team-ab/x"));
    }

    #[test]
    fn the_star_claim_is_admin_and_covers_every_room() {
        let claims = claims("*");
        assert!(claims.is_admin());
        assert!(claims.covers("anything/at/all"));
    }

    #[test]
    fn access_reads_and_writes_as_rw_and_ro() {
        assert_eq!(serde_json::to_string(&Access::ReadOnly).unwrap(), "\"ro\"");
        let access: Access = serde_json::from_str("\"rw\"").unwrap();
        assert_eq!(access, Access::ReadWrite);
        assert!(serde_json::from_str::<Access>("\"admin\"").is_err());
    }
}
