//! The clock skew a server tolerates on `exp` holds for the whole connection: a token accepted
//! within the leeway is not closed with 4401 the moment its socket opens.

use std::time::Duration;

use ycord_server::auth::{unix_now, AuthConfig};
use ycord_server::Config;

use crate::access_support::{auth_server, signed_raw, upgrade, SECRET};

const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A server tolerating 60 s of clock skew, and a token for `room` whose `exp` passed
/// `ago_secs` seconds ago.
async fn leeway_server_and_token(ago_secs: u64) -> (ycord_server::Server, String) {
    let server = auth_server(
        AuthConfig {
            leeway: Duration::from_secs(60),
            ..AuthConfig::with_secret(SECRET.to_vec())
        },
        Config::default(),
    )
    .await;
    let claims = format!(
        r#"{{"room":"room","access":"rw","exp":{}}}"#,
        unix_now() - ago_secs
    );
    (server, signed_raw(HS256_HEADER, &claims, SECRET))
}

#[tokio::test]
async fn a_token_just_past_exp_within_the_leeway_connects_and_stays_open() {
    let (server, token) = leeway_server_and_token(5).await;
    let (mut client, _) = upgrade(&server, &format!("room?token={token}"), &[])
        .await
        .accepted();
    // A round trip through the room: a socket closed with 4401 on opening would not answer.
    assert_eq!(client.fetch_text().await, "");
    assert_eq!(server.stats().connections, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_token_past_exp_and_the_leeway_is_refused_at_the_upgrade() {
    let (server, token) = leeway_server_and_token(61).await;
    let (status, reason) = upgrade(&server, &format!("room?token={token}"), &[])
        .await
        .refusal();
    assert_eq!((status, reason.as_str()), (401, "expired_token"));
    server.shutdown().await;
}
