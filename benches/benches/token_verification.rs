//! What checking one access token costs the server: `Verifier::verify`, which every WebSocket
//! upgrade and every `/api/` request of an auth-enabled server runs once, for each algorithm
//! ycord accepts:
//! - HS256 with a shared secret;
//! - EdDSA (Ed25519) and ES256 (P-256) with a public key chosen by `kid`.
//!
//! Each is measured for a valid token and for one signed with another key (same header and
//! claims), since anyone can make the server check the latter.
//!
//! `cargo bench -p ycord-benches --bench token_verification`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ycord_server::auth::{
    mint_hs256, unix_now, Access, AuthConfig, Claims, PublicKey, Secret, Verifier,
};

const SECRET: &[u8] = b"a benchmark secret of at least 32 bytes";
const OTHER_SECRET: &[u8] = b"another secret, also of 32 bytes or more";

/// What a token of a real deployment carries: one room, an access level, a subject.
fn claims() -> Claims {
    Claims {
        sub: Some("user-4711".to_owned()),
        ..Claims::new("team-a/notes", Access::ReadWrite, Duration::from_secs(3600))
    }
}

/// A verifier and two tokens for it: one it accepts and one signed with another key.
struct Case {
    name: &'static str,
    verifier: Verifier,
    valid: String,
    forged: String,
}

fn hs256() -> Case {
    Case {
        name: "HS256",
        verifier: Verifier::new(&AuthConfig::with_secret(SECRET.to_vec())),
        valid: mint_hs256(SECRET, &claims()),
        forged: mint_hs256(OTHER_SECRET, &claims()),
    }
}

/// A verifier holding one public key (`kid`), and tokens signed with the matching private
/// key and with `other`, both given as PKCS#8 PEM.
fn public_key_case(
    name: &'static str,
    algorithm: Algorithm,
    public_pem: &str,
    private_pem: &str,
    other_private_pem: &str,
) -> Case {
    let kid = format!("bench-{}", name.to_lowercase());
    let key = PublicKey::from_pem(kid.clone(), public_pem.as_bytes()).expect("a public key PEM");
    let verifier = Verifier::new(&AuthConfig {
        public_keys: vec![key],
        ..AuthConfig::default()
    });
    let sign = |pem: &str| {
        let key = match algorithm {
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
            _ => EncodingKey::from_ec_pem(pem.as_bytes()),
        }
        .expect("a private key PEM");
        let header = Header {
            kid: Some(kid.clone()),
            ..Header::new(algorithm)
        };
        jsonwebtoken::encode(&header, &claims(), &key).expect("signing")
    };
    Case {
        name,
        valid: sign(private_pem),
        forged: sign(other_private_pem),
        verifier,
    }
}

fn eddsa() -> Case {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let pem = |key: &ed25519_dalek::SigningKey| {
        key.to_pkcs8_pem(LineEnding::LF)
            .expect("PKCS#8 PEM")
            .to_string()
    };
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("SPKI PEM");
    public_key_case("EdDSA", Algorithm::EdDSA, &public, &pem(&key), &pem(&other))
}

fn es256() -> Case {
    let key = p256::SecretKey::from_slice(&[7; 32]).expect("a P-256 scalar");
    let other = p256::SecretKey::from_slice(&[8; 32]).expect("a P-256 scalar");
    let pem = |key: &p256::SecretKey| {
        key.to_pkcs8_pem(LineEnding::LF)
            .expect("PKCS#8 PEM")
            .to_string()
    };
    let public = key
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("SPKI PEM");
    public_key_case("ES256", Algorithm::ES256, &public, &pem(&key), &pem(&other))
}

fn verify(c: &mut Criterion) {
    // The server reads the secret through `Secret`; check the benchmark's is one it takes.
    Secret::checked(SECRET.to_vec()).expect("a secret the server accepts");
    let now = unix_now();
    let mut group = c.benchmark_group("verify token");
    group.throughput(Throughput::Elements(1));
    for case in [hs256(), eddsa(), es256()] {
        let claims = case.verifier.verify(&case.valid, now).expect("accepted");
        assert!(claims.covers("team-a/notes"));
        assert!(case.verifier.verify(&case.forged, now).is_err());
        group.bench_function(format!("{} valid", case.name), |b| {
            b.iter(|| case.verifier.verify(&case.valid, now).is_ok());
        });
        group.bench_function(format!("{} wrong signature", case.name), |b| {
            b.iter(|| case.verifier.verify(&case.forged, now).is_err());
        });
    }
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
