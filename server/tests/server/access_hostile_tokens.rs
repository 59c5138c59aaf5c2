//! Token parsing is fed hostile input and never panics: every case is refused with the reason it
//! deserves (truncated base64, wrong `typ`, duplicated claims, `crit`, claims of the wrong type,
//! numbers too large for any clock), thousands of seeded mutations of real tokens are all
//! refused, and over the wire a megabyte of header or bytes that are not text get an HTTP
//! answer while the server carries on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ycord_protocol::{Message, SyncMessage};
use ycord_server::auth::{
    mint_hs256, unix_now, Access, AuthConfig, Claims, PublicKey, Secret, TokenError, Verifier,
    MAX_TOKEN_LEN,
};

use crate::access_support::{
    base64url, parse_answer, request, secret_server, signed_raw, token, upgrade, SECRET,
};

const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn verifier() -> Verifier {
    Verifier::new(&AuthConfig::with_secret(SECRET.to_vec()))
}

fn exp() -> u64 {
    unix_now() + 3600
}

/// The reason `token` is refused for; panics if it is accepted.
fn refused(verifier: &Verifier, token: &str) -> &'static str {
    match verifier.verify(token, unix_now()) {
        Ok(claims) => panic!("accepted {token:?} as {claims:?}"),
        Err(err) => err.reason(),
    }
}

#[test]
fn a_signed_token_with_extra_claims_is_accepted_so_each_refusal_below_is_its_flaw() {
    let payload = format!(
        r#"{{"room":"r","access":"ro","exp":{},"iat":1,"jti":"x"}}"#,
        exp()
    );
    let claims = verifier()
        .verify(&signed_raw(HS256_HEADER, &payload, SECRET), unix_now())
        .expect("a valid token");
    assert_eq!(
        (claims.room.as_str(), claims.access),
        ("r", Access::ReadOnly)
    );
}

#[test]
fn every_truncation_of_a_token_is_refused() {
    let verifier = verifier();
    let token = token("room", Access::ReadWrite);
    assert!(verifier.verify(&token, unix_now()).is_ok());
    for len in 0..token.len() {
        let reason = refused(&verifier, &token[..len]);
        let expected: &[&str] = match len {
            0 => &["missing_token"],
            _ => &["malformed_token", "bad_signature"],
        };
        assert!(expected.contains(&reason), "{len} characters: {reason}");
    }
    // A character missing inside the header or the claims leaves base64 that does not decode.
    let (header, rest) = token.split_once('.').unwrap();
    let broken_header = format!("{}.{rest}", &header[..header.len() - 1]);
    assert_eq!(refused(&verifier, &broken_header), "malformed_token");
}

#[test]
fn a_typ_other_than_jwt_is_malformed() {
    let payload = format!(r#"{{"room":"r","access":"rw","exp":{}}}"#, exp());
    for typ in ["JWS", "at+jwt", "", "JWT "] {
        let header = format!(r#"{{"alg":"HS256","typ":"{typ}"}}"#);
        let token = signed_raw(&header, &payload, SECRET);
        assert_eq!(
            refused(&verifier(), &token),
            "malformed_token",
            "typ {typ:?}"
        );
    }
}

#[test]
fn duplicated_claims_or_header_fields_are_malformed_even_when_signed() {
    let exp = exp();
    for payload in [
        format!(r#"{{"room":"a","room":"b","access":"rw","exp":{exp}}}"#),
        format!(r#"{{"room":"a","access":"ro","access":"rw","exp":{exp}}}"#),
        format!(
            r#"{{"room":"a","access":"rw","exp":{exp},"exp":{}}}"#,
            exp + 1_000_000
        ),
    ] {
        let token = signed_raw(HS256_HEADER, &payload, SECRET);
        assert_eq!(refused(&verifier(), &token), "malformed_token", "{payload}");
    }
    let payload = format!(r#"{{"room":"a","access":"rw","exp":{exp}}}"#);
    let header = r#"{"alg":"HS256","alg":"HS256","typ":"JWT"}"#;
    assert_eq!(
        refused(&verifier(), &signed_raw(header, &payload, SECRET)),
        "malformed_token"
    );
}

#[test]
fn a_crit_header_is_refused() {
    let payload = format!(r#"{{"room":"a","access":"rw","exp":{}}}"#, exp());
    let header = r#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#;
    assert_eq!(
        refused(&verifier(), &signed_raw(header, &payload, SECRET)),
        "malformed_token"
    );
}

#[test]
fn claims_of_the_wrong_type_or_missing_are_malformed() {
    let exp = exp();
    for payload in [
        format!(r#"{{"room":5,"access":"rw","exp":{exp}}}"#),
        format!(r#"{{"room":null,"access":"rw","exp":{exp}}}"#),
        format!(r#"{{"room":["a"],"access":"rw","exp":{exp}}}"#),
        format!(r#"{{"room":"","access":"rw","exp":{exp}}}"#),
        format!(r#"{{"room":"a","access":"admin","exp":{exp}}}"#),
        format!(r#"{{"room":"a","access":true,"exp":{exp}}}"#),
        format!(r#"{{"access":"rw","exp":{exp}}}"#),
        r#"{"room":"a","access":"rw"}"#.to_owned(),
        format!(r#"{{"room":"a","access":"rw","exp":{exp},"nbf":"soon"}}"#),
        format!(r#"{{"room":"a","access":"rw","exp":{exp},"sub":42}}"#),
        format!(r#"[{{"room":"a","access":"rw","exp":{exp}}}]"#),
        "null".to_owned(),
        "not json at all".to_owned(),
    ] {
        let token = signed_raw(HS256_HEADER, &payload, SECRET);
        assert_eq!(refused(&verifier(), &token), "malformed_token", "{payload}");
    }
}

#[test]
fn numbers_no_clock_can_hold_are_malformed() {
    for exp in [
        "1e400",
        "18446744073709551616",
        "340282366920938463463374607431768211456",
        "-1",
        "1.5e12",
        "\"9999999999\"",
    ] {
        let payload = format!(r#"{{"room":"a","access":"rw","exp":{exp}}}"#);
        let token = signed_raw(HS256_HEADER, &payload, SECRET);
        assert_eq!(refused(&verifier(), &token), "malformed_token", "exp {exp}");
    }
    let nbf = format!(
        r#"{{"room":"a","access":"rw","exp":{},"nbf":1e400}}"#,
        exp()
    );
    assert_eq!(
        refused(&verifier(), &signed_raw(HS256_HEADER, &nbf, SECRET)),
        "malformed_token"
    );
}

#[test]
fn the_largest_exp_is_a_token_that_never_expires_and_zero_has_expired() {
    let forever = format!(r#"{{"room":"a","access":"rw","exp":{}}}"#, u64::MAX);
    let claims = verifier()
        .verify(&signed_raw(HS256_HEADER, &forever, SECRET), unix_now())
        .expect("u64::MAX is a valid exp");
    assert_eq!(claims.exp, u64::MAX);
    let zero = r#"{"room":"a","access":"rw","exp":0}"#;
    assert_eq!(
        refused(&verifier(), &signed_raw(HS256_HEADER, zero, SECRET)),
        "expired_token"
    );
    // With the largest leeway and the latest clocks, exp and nbf arithmetic saturates instead
    // of overflowing: the last second before u64::MAX is still valid, u64::MAX itself is not.
    let lenient = Verifier::new(&AuthConfig {
        leeway: Duration::from_secs(u64::MAX),
        ..AuthConfig::with_secret(SECRET.to_vec())
    });
    let late = format!(
        r#"{{"room":"a","access":"rw","exp":{},"nbf":{}}}"#,
        u64::MAX,
        u64::MAX
    );
    let late = signed_raw(HS256_HEADER, &late, SECRET);
    assert!(lenient.verify(&late, u64::MAX - 1).is_ok());
    assert_eq!(lenient.verify(&late, u64::MAX), Err(TokenError::Expired));
    assert_eq!(
        verifier().verify(&late, 0),
        Err(TokenError::NotYetValid),
        "without leeway, nbf u64::MAX is still to come"
    );
}

#[test]
fn algorithms_other_than_the_keys_are_unsupported() {
    let payload = format!(r#"{{"room":"a","access":"rw","exp":{}}}"#, exp());
    let unsigned = format!(
        "{}.{}.",
        base64url(br#"{"alg":"none","typ":"JWT"}"#),
        base64url(payload.as_bytes())
    );
    assert_eq!(refused(&verifier(), &unsigned), "unsupported_algorithm");
    for alg in [
        "none", "None", "hs256", "HS512", "RS256", "PS256", "EdDSA", "ES256", "ES384",
    ] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        let token = signed_raw(&header, &payload, SECRET);
        assert_eq!(
            refused(&verifier(), &token),
            // EdDSA and ES256 are accepted algorithms; this verifier has no public key for them.
            if matches!(alg, "EdDSA" | "ES256") {
                "unknown_key"
            } else {
                "unsupported_algorithm"
            },
            "alg {alg}"
        );
    }
    let no_alg = signed_raw(r#"{"typ":"JWT"}"#, &payload, SECRET);
    assert_eq!(refused(&verifier(), &no_alg), "malformed_token");
}

#[test]
fn a_token_longer_than_the_limit_is_refused_unread_even_if_signed() {
    let mut claims = Claims::new("a", Access::ReadWrite, Duration::from_secs(60));
    claims.sub = Some("x".repeat(MAX_TOKEN_LEN));
    let long = mint_hs256(SECRET, &claims);
    assert!(long.len() > MAX_TOKEN_LEN);
    assert_eq!(
        verifier().verify(&long, unix_now()),
        Err(TokenError::Malformed("longer than 8 KiB"))
    );
}

#[test]
fn an_aud_is_refused_when_none_is_configured_and_must_match_when_one_is() {
    let exp = exp();
    let for_other = format!(r#"{{"room":"a","access":"rw","exp":{exp},"aud":"billing"}}"#);
    let token = signed_raw(HS256_HEADER, &for_other, SECRET);
    assert_eq!(refused(&verifier(), &token), "wrong_audience");
    let with_audience = Verifier::new(&AuthConfig {
        audience: Some("ycord".into()),
        ..AuthConfig::with_secret(SECRET.to_vec())
    });
    assert_eq!(refused(&with_audience, &token), "wrong_audience");
    let without = format!(r#"{{"room":"a","access":"rw","exp":{exp}}}"#);
    assert_eq!(
        refused(&with_audience, &signed_raw(HS256_HEADER, &without, SECRET)),
        "wrong_audience"
    );
    let ours = format!(r#"{{"room":"a","access":"rw","exp":{exp},"aud":["x","ycord"]}}"#);
    assert!(with_audience
        .verify(&signed_raw(HS256_HEADER, &ours, SECRET), unix_now())
        .is_ok());
}

/// Random characters from printable ASCII, the base64url alphabet's neighbours, dots and a few
/// multi-byte characters.
fn random_text(rng: &mut fastrand::Rng, len: usize) -> String {
    const PICKS: &[char] = &[
        '.',
        '-',
        '_',
        '=',
        '+',
        '/',
        ' ',
        '\0',
        'é',
        '中',
        '\u{10ffff}',
    ];
    (0..len)
        .map(|_| match rng.u8(0..4) {
            0 => PICKS[rng.usize(..PICKS.len())],
            _ => char::from(rng.u8(0x20..0x7f)),
        })
        .collect()
}

fn mutate(rng: &mut fastrand::Rng, token: &str, others: &[String]) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let at = rng.usize(..chars.len());
    match rng.u8(0..9) {
        0 => chars[at] = char::from(rng.u8(0x20..0x7f)),
        1 => {
            let end = rng.usize(at..=chars.len());
            chars.drain(at..end);
        }
        2 => {
            let junk = {
                let len = rng.usize(1..8);
                random_text(rng, len)
            };
            chars.splice(at..at, junk.chars());
        }
        3 => {
            let (a, b) = (rng.usize(..chars.len()), rng.usize(..chars.len()));
            chars.swap(a, b);
        }
        4 => {
            // A part of another token in place of this one's (header, claims or signature).
            let other = &others[rng.usize(..others.len())];
            let part = rng.usize(0..3);
            let mut parts: Vec<&str> = token.split('.').collect();
            let replacement = other.split('.').nth(part).unwrap_or("");
            if let Some(slot) = parts.get_mut(part) {
                *slot = replacement;
            }
            return parts.join(".");
        }
        5 => {
            // Claims chosen at random, encoded properly, with this token's signature.
            let parts: Vec<&str> = token.split('.').collect();
            let claims = {
                let len = rng.usize(0..64);
                random_text(rng, len)
            };
            return format!(
                "{}.{}.{}",
                parts[0],
                base64url(claims.as_bytes()),
                parts.last().unwrap_or(&"")
            );
        }
        6 => {
            return {
                let len = rng.usize(0..200);
                random_text(rng, len)
            }
        }
        7 => {
            let dots = rng.usize(1..4);
            return format!("{token}{}", ".".repeat(dots));
        }
        _ => chars.truncate(at),
    }
    chars.into_iter().collect()
}

#[test]
fn thousands_of_seeded_mutations_of_real_tokens_are_all_refused_without_a_panic() {
    const SEED: u64 = 0x5eed_0014;
    const ROUNDS: usize = 6000;
    let ed_private = include_bytes!("fixtures/ed25519-signer.pem");
    let ec_private = include_bytes!("fixtures/p256-signer.pem");
    let verifier = Verifier::new(&AuthConfig {
        secret: Some(Secret::new(SECRET.to_vec())),
        public_keys: vec![
            PublicKey::from_pem("ed", include_bytes!("fixtures/ed25519-signer.pub.pem")).unwrap(),
            PublicKey::from_pem("ec", include_bytes!("fixtures/p256-signer.pub.pem")).unwrap(),
        ],
        ..AuthConfig::default()
    });
    let claims = Claims::new("team-a/*", Access::ReadWrite, Duration::from_secs(3600));
    let with_kid = |alg, kid: &str| Header {
        kid: Some(kid.to_owned()),
        ..Header::new(alg)
    };
    let originals = vec![
        mint_hs256(SECRET, &claims),
        jsonwebtoken::encode(
            &with_kid(Algorithm::EdDSA, "ed"),
            &claims,
            &EncodingKey::from_ed_pem(ed_private).unwrap(),
        )
        .unwrap(),
        jsonwebtoken::encode(
            &with_kid(Algorithm::ES256, "ec"),
            &claims,
            &EncodingKey::from_ec_pem(ec_private).unwrap(),
        )
        .unwrap(),
    ];
    let now = unix_now();
    for original in &originals {
        assert!(verifier.verify(original, now).is_ok(), "{original}");
    }

    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut refused_by_reason = std::collections::BTreeMap::<&str, usize>::new();
    for round in 0..ROUNDS {
        let original = &originals[round % originals.len()];
        let mutated = mutate(&mut rng, original, &originals);
        if originals.contains(&mutated) {
            continue;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| verifier.verify(&mutated, now)));
        match outcome {
            Err(_) => panic!("seed {SEED:#x}, round {round}: verify panicked on {mutated:?}"),
            Ok(Ok(claims)) => {
                panic!("seed {SEED:#x}, round {round}: accepted {mutated:?} as {claims:?}")
            }
            Ok(Err(err)) => *refused_by_reason.entry(err.reason()).or_default() += 1,
        }
    }
    // The mutations reach past the shape checks into the signature check.
    for reason in ["malformed_token", "bad_signature"] {
        assert!(
            refused_by_reason.get(reason).copied().unwrap_or(0) > 100,
            "seed {SEED:#x}: too few {reason}: {refused_by_reason:?}"
        );
    }
}

/// Sends `head` (a request without its final blank line) then `\r\n`, tolerating a server that
/// answers and closes before it has read everything; returns the raw answer, read up to its
/// `Content-Length` (the server may keep the connection open) or to its end.
async fn send_raw(addr: std::net::SocketAddr, head: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let written = async {
        stream.write_all(head).await?;
        stream.write_all(b"\r\n").await
    };
    // A server that refuses early may reset the connection under a large write.
    let _ = written.await;
    let read = async {
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            if is_complete(&answer) {
                return answer;
            }
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return answer,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(crate::support::TIMEOUT, read)
        .await
        .expect("an answer within the timeout")
}

/// Whether `answer` holds a header block and the body its `Content-Length` announces.
fn is_complete(answer: &[u8]) -> bool {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let length = parse_answer(answer)
        .header("content-length")
        .and_then(|length| length.parse::<usize>().ok())
        .unwrap_or(0);
    answer.len() >= end + 4 + length
}

fn upgrade_head(path: &str, extra: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "GET /{path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    )
    .into_bytes();
    head.extend_from_slice(extra);
    head
}

#[tokio::test]
async fn hostile_upgrades_get_an_http_answer_and_the_server_carries_on() {
    let server = secret_server().await;
    let addr = server.local_addr();

    // A megabyte of Authorization header: the HTTP layer answers 431 before any token check.
    let mut huge = b"Authorization: Bearer ".to_vec();
    huge.extend(vec![b'a'; 1024 * 1024]);
    huge.extend_from_slice(b"\r\n");
    let answer = parse_answer(&send_raw(addr, &upgrade_head("room", &huge)).await);
    assert_eq!(answer.status, 431, "a megabyte of header");

    // Just over the token limit, well under the header limit: refused unread.
    let long = "a".repeat(MAX_TOKEN_LEN + 1);
    let refused = upgrade(
        &server,
        "room",
        &[("Authorization", &format!("Bearer {long}"))],
    )
    .await;
    assert_eq!(refused.refusal(), (401, "malformed_token".to_owned()));

    // Bytes that are not ASCII in the Authorization header.
    let answer = send_raw(
        addr,
        &upgrade_head(
            "room",
            b"Authorization: Bearer \xff\xfe\x80.\xc3\x28.\xa0\r\n",
        ),
    )
    .await;
    let answer = parse_answer(&answer);
    assert_eq!(
        (answer.status, answer.reason()),
        (401, "malformed_token".to_owned())
    );

    // Percent-encoded junk, including a NUL and invalid UTF-8, in the query.
    for query in [
        "token=%00%ff%fe",
        "token=a.b.c%2e%2e",
        "token=%E2%82",
        "token=",
    ] {
        let answer = send_raw(addr, &upgrade_head(&format!("room?{query}"), b"")).await;
        let answer = parse_answer(&answer);
        assert_eq!(answer.status, 401, "{query}: {}", answer.text());
        let reason = answer.reason();
        assert!(
            ["malformed_token", "missing_token"].contains(&reason.as_str()),
            "{query}: {reason}"
        );
    }

    // After all that, the server answers and admits as before.
    let health = request(addr, "GET", "/health", &[], b"").await;
    assert_eq!(health.status, 200);
    let good = token("room", Access::ReadWrite);
    let (mut client, _) = upgrade(&server, &format!("room?token={good}"), &[])
        .await
        .accepted();
    client
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Step1(_))))
        .await;
}

#[tokio::test]
async fn a_token_that_never_expires_connects_without_overflowing_the_expiry_timer() {
    let server = secret_server().await;
    let forever = format!(r#"{{"room":"room","access":"rw","exp":{}}}"#, u64::MAX);
    let token = signed_raw(HS256_HEADER, &forever, SECRET);
    let (mut client, _) = upgrade(&server, &format!("room?token={token}"), &[])
        .await
        .accepted();
    assert_eq!(
        client.fetch_text().await,
        "",
        "the connection serves the room"
    );
    let (mut second, _) = upgrade(&server, &format!("room?token={token}"), &[])
        .await
        .accepted();
    assert_eq!(second.fetch_text().await, "");
    assert_eq!(server.stats().connections, 2, "both connections are alive");
}
