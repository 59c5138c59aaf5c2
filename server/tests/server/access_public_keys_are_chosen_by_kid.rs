//! A relay that holds only public keys (EdDSA and ES256, named by `kid`) admits tokens signed
//! with the matching private keys and nothing else: not an HS256 token (it has no secret), not
//! a `kid` it does not know, not a key of the other algorithm under a known `kid`.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ycord_protocol::{Message, SyncMessage};
use ycord_server::auth::{mint_hs256, Access, AuthConfig, Claims, PublicKey};
use ycord_server::{Config, Server};

use crate::access_support::{auth_server, upgrade, SECRET};

const ED25519_PRIVATE: &[u8] = include_bytes!("fixtures/ed25519-signer.pem");
const ED25519_PUBLIC: &[u8] = include_bytes!("fixtures/ed25519-signer.pub.pem");
const P256_PRIVATE: &[u8] = include_bytes!("fixtures/p256-signer.pem");
const P256_PUBLIC: &[u8] = include_bytes!("fixtures/p256-signer.pub.pem");

fn claims(room: &str) -> Claims {
    Claims::new(room, Access::ReadWrite, Duration::from_secs(3600))
}

fn signed(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, room: &str) -> String {
    let header = Header {
        kid: kid.map(str::to_owned),
        ..Header::new(alg)
    };
    jsonwebtoken::encode(&header, &claims(room), key).expect("signing")
}

fn ed25519() -> EncodingKey {
    EncodingKey::from_ed_pem(ED25519_PRIVATE).expect("the Ed25519 fixture")
}

fn p256() -> EncodingKey {
    EncodingKey::from_ec_pem(P256_PRIVATE).expect("the P-256 fixture")
}

/// A relay holding the Ed25519 key as `edge-ed` and the P-256 key as `edge-ec`, and no secret.
async fn relay() -> Server {
    let auth = AuthConfig {
        public_keys: vec![
            PublicKey::from_pem("edge-ed", ED25519_PUBLIC).expect("Ed25519 public key"),
            PublicKey::from_pem("edge-ec", P256_PUBLIC).expect("P-256 public key"),
        ],
        ..AuthConfig::default()
    };
    auth_server(auth, Config::default()).await
}

async fn is_admitted(server: &Server, token: &str) {
    let (mut client, _) = upgrade(server, &format!("room?token={token}"), &[])
        .await
        .accepted();
    client
        .frame_where(|m| matches!(m, Message::Sync(SyncMessage::Step1(_))))
        .await;
}

async fn refusal(server: &Server, token: &str) -> (u16, String) {
    upgrade(server, &format!("room?token={token}"), &[])
        .await
        .refusal()
}

#[tokio::test]
async fn eddsa_and_es256_tokens_are_verified_with_the_key_their_kid_names() {
    let server = relay().await;
    is_admitted(
        &server,
        &signed(Algorithm::EdDSA, Some("edge-ed"), &ed25519(), "room"),
    )
    .await;
    is_admitted(
        &server,
        &signed(Algorithm::ES256, Some("edge-ec"), &p256(), "room"),
    )
    .await;

    let for_other_room = signed(Algorithm::EdDSA, Some("edge-ed"), &ed25519(), "other");
    assert_eq!(
        refusal(&server, &for_other_room).await,
        (403, "wrong_room".into())
    );
}

#[tokio::test]
async fn a_kid_naming_no_key_is_refused_as_unknown_key() {
    let server = relay().await;
    let unknown = signed(Algorithm::EdDSA, Some("retired-node"), &ed25519(), "room");
    assert_eq!(
        refusal(&server, &unknown).await,
        (401, "unknown_key".into())
    );
    // With two keys, a token without a kid names none of them.
    let no_kid = signed(Algorithm::EdDSA, None, &ed25519(), "room");
    assert_eq!(refusal(&server, &no_kid).await, (401, "unknown_key".into()));
}

#[tokio::test]
async fn an_hs256_token_is_refused_by_a_relay_without_a_secret() {
    let server = relay().await;
    let hs256 = mint_hs256(SECRET, &claims("room"));
    assert_eq!(
        refusal(&server, &hs256).await,
        (401, "unsupported_algorithm".into())
    );
}

#[tokio::test]
async fn a_token_signed_for_one_kid_with_the_other_algorithm_or_key_is_refused() {
    let server = relay().await;
    // ES256 signature under the EdDSA key's kid: the key decides the algorithm, not the token.
    let crossed = signed(Algorithm::ES256, Some("edge-ed"), &p256(), "room");
    assert_eq!(
        refusal(&server, &crossed).await,
        (401, "unsupported_algorithm".into())
    );

    // The right algorithm and kid, but signed by another Ed25519 key.
    let stranger = EncodingKey::from_ed_der(&stranger_ed25519_pkcs8());
    let forged = signed(Algorithm::EdDSA, Some("edge-ed"), &stranger, "room");
    assert_eq!(
        refusal(&server, &forged).await,
        (401, "bad_signature".into())
    );

    // A signed token whose payload was swapped for one naming another room.
    let genuine = signed(Algorithm::EdDSA, Some("edge-ed"), &ed25519(), "room");
    let other = signed(Algorithm::EdDSA, Some("edge-ed"), &ed25519(), "admin-room");
    let parts: Vec<&str> = genuine.split('.').collect();
    let other_payload = other.split('.').nth(1).expect("three parts");
    let spliced = format!("{}.{other_payload}.{}", parts[0], parts[2]);
    let upgraded = upgrade(&server, &format!("admin-room?token={spliced}"), &[])
        .await
        .refusal();
    assert_eq!(upgraded, (401, "bad_signature".into()));
}

/// The PKCS#8 DER of an Ed25519 key that is not the fixture's: the fixed prefix of a PKCS#8
/// Ed25519 private key, then a 32-byte seed.
fn stranger_ed25519_pkcs8() -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend([7u8; 32]);
    der
}
