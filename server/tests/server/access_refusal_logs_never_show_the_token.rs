//! Tokens never reach the logs: the real `ycord` binary, at debug level, refuses upgrades and
//! API calls for every reason, admits a client and closes it when its token expires, and no line
//! of its stderr holds any token or any of a token's three parts. Each refusal is one line
//! naming its reason.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ycord_server::auth::{mint_hs256, Access, Claims};

use crate::access_support::{base64url, bearer, request, signed_raw, upgrade_url, SECRET};
use crate::support::{RawClient, TIMEOUT};

/// `ycord` on port 0 with `SECRET`, its stderr lines on a channel; stopped on drop.
struct Ycord {
    child: Child,
    ws_url: String,
    addr: std::net::SocketAddr,
    stderr: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Ycord {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_ycord() -> Ycord {
    let dir = tempfile::tempdir().expect("temp dir");
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, SECRET).expect("write the secret");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ycord"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--ephemeral",
            "--auth-secret-file",
        ])
        .arg(&secret_file)
        .env("RUST_LOG", "debug")
        .env_remove("YCORD_AUTH_SECRET")
        .env_remove("YCORD_AUTH_SECRET_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ycord");
    let (lines, stderr) = mpsc::channel();
    let pipe = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    // `ycord node <id>` comes first.
    let ws_url = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.trim()
                .strip_prefix("ycord listening on ")
                .map(str::to_owned)
        })
        .expect("ycord printed no listening line");
    let addr = ws_url
        .strip_prefix("ws://")
        .and_then(|addr| addr.parse().ok())
        .expect("ws://host:port");
    Ycord {
        child,
        ws_url,
        addr,
        stderr,
        _dir: dir,
    }
}

impl Ycord {
    /// Reads stderr lines until `done` holds for what was read so far; returns them all.
    fn lines_until(&self, mut seen: Vec<String>, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = std::time::Instant::now() + TIMEOUT;
        while !done(&seen) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(err) => panic!(
                    "{err} before the expected log lines; got:\n{}",
                    seen.join("\n")
                ),
            }
        }
        seen
    }
}

async fn refused_upgrade(ycord: &Ycord, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    upgrade_url(&ycord.ws_url, path, headers).await.refusal()
}

#[tokio::test]
async fn no_log_line_holds_a_token_and_each_refusal_logs_its_reason() {
    let ycord = start_ycord();
    let claims = |room: &str, access, ttl| Claims::new(room, access, Duration::from_secs(ttl));
    let wrong_room = mint_hs256(SECRET, &claims("elsewhere", Access::ReadWrite, 3600));
    let forged = mint_hs256(
        b"not the server's secret, but long enough",
        &claims("room", Access::ReadWrite, 3600),
    );
    let expired = signed_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"room":"room","access":"rw","exp":1000}"#,
        SECRET,
    );
    let read_only = mint_hs256(SECRET, &claims("room", Access::ReadOnly, 3600));
    let unsigned = format!(
        "{}.{}.",
        base64url(br#"{"alg":"none"}"#),
        base64url(br#"{"room":"room","access":"rw","exp":99999999999}"#)
    );
    let mut short_lived = claims("room", Access::ReadWrite, 1);
    short_lived.sub = Some("alice".into());
    let short_lived = mint_hs256(SECRET, &short_lived);

    let subprotocol = format!("ycord, ycord.token.{wrong_room}");
    // (path and query, extra headers, status, reason)
    type Case<'a> = (String, Vec<(&'a str, String)>, u16, &'a str);
    let refusals: Vec<Case> = vec![
        (
            format!("room?token={wrong_room}"),
            vec![],
            403,
            "wrong_room",
        ),
        (format!("room?token={forged}"), vec![], 401, "bad_signature"),
        (
            format!("room?token={expired}"),
            vec![],
            401,
            "expired_token",
        ),
        (
            format!("room?token={unsigned}"),
            vec![],
            401,
            "unsupported_algorithm",
        ),
        (
            "room".into(),
            vec![("Authorization", bearer(&forged))],
            401,
            "bad_signature",
        ),
        (
            "room".into(),
            vec![("Sec-WebSocket-Protocol", subprotocol)],
            403,
            "wrong_room",
        ),
        (
            format!("room?token={read_only}"),
            vec![("Authorization", bearer(&forged))],
            401,
            "ambiguous_token",
        ),
    ];
    let mut reasons = Vec::new();
    for (path, headers, status, reason) in &refusals {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refusal = refused_upgrade(&ycord, path, &headers).await;
        assert_eq!(refusal, (*status, (*reason).to_owned()));
        reasons.push(*reason);
    }
    for (method, path) in [
        ("DELETE", "/api/rooms/room"),
        ("POST", "/api/rooms/room/update"),
    ] {
        let auth = bearer(&read_only);
        let answer = request(ycord.addr, method, path, &[("Authorization", &auth)], b"\0").await;
        assert_eq!(answer.status, 403);
        reasons.push("read_only");
    }
    let admin_attempt = bearer(&read_only);
    let answer = request(
        ycord.addr,
        "GET",
        "/api/rooms",
        &[("Authorization", &admin_attempt)],
        b"",
    )
    .await;
    assert_eq!(answer.status, 403);
    reasons.push("admin_required");

    // An admitted client whose token expires: joined, then closed with 4401.
    let mut client =
        RawClient::connect_url(&ycord.ws_url, &format!("room?token={short_lived}")).await;
    assert_eq!(client.close_code().await.0, 4401);

    let lines = ycord.lines_until(Vec::new(), |lines| {
        let refused = lines
            .iter()
            .filter(|l| l.contains("request refused"))
            .count();
        let expired = lines.iter().any(|l| l.contains("token expired"));
        refused >= reasons.len() && expired
    });
    let refused: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("request refused"))
        .collect();
    assert_eq!(
        refused.len(),
        reasons.len(),
        "one line per refusal:\n{}",
        lines.join("\n")
    );
    for (line, reason) in refused.iter().zip(&reasons) {
        assert!(
            line.contains(&format!("reason=\"{reason}\""))
                || line.contains(&format!("reason={reason}")),
            "{reason}: {line}"
        );
    }

    let tokens = [
        &wrong_room,
        &forged,
        &expired,
        &read_only,
        &unsigned,
        &short_lived,
    ];
    for token in tokens {
        for part in token.split('.').filter(|part| part.len() >= 8) {
            for line in &lines {
                assert!(
                    !line.contains(part),
                    "a log line holds a token's part {part:?}: {line}"
                );
            }
        }
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("connection joined") && l.contains("alice")),
        "the admitted client is logged by its sub instead:\n{}",
        lines.join("\n")
    );
}
