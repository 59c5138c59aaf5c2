//! A short run of `ycord-load` against the real server on an ephemeral port: every update
//! reaches every other client of its room, and the report carries CPU and memory readings.
//!
//! The server runs in this test process, so `--server-pid` is our own PID: its CPU reading
//! includes the generator, which is fine for checking that the fields are filled.

use clap::Parser;
use ycord_benches::{LoadArgs, ModeReport};
use ycord_server::auth::AuthConfig;
use ycord_server::{Config, Server, Storage};

async fn start_server() -> Server {
    Server::bind(Config {
        port: 0,
        storage: Storage::Memory,
        ..Config::default()
    })
    .await
    .expect("the server starts on an ephemeral port")
}

fn args(url: &str, extra: &[&str]) -> LoadArgs {
    let pid = std::process::id().to_string();
    let mut all = vec!["ycord-load", "--url", url, "--server-pid", &pid];
    all.extend_from_slice(extra);
    LoadArgs::parse_from(all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_generator_reports_every_delivery() {
    let server = start_server().await;
    let url = server.ws_url();
    let args = args(
        &url,
        &[
            "--clients",
            "6",
            "--rooms",
            "2",
            "--rate",
            "100",
            "--seconds",
            "1",
            "--warmup-seconds",
            "0",
        ],
    );
    let ModeReport::Updates(report) = ycord_benches::run(&args).await.unwrap() else {
        panic!("updates mode must produce an updates report");
    };
    assert_eq!(report.sent, 100, "rate × seconds updates are sent");
    // 3 clients per room: each update is owed to the 2 others.
    assert_eq!(report.expected_deliveries, 200);
    assert_eq!(report.delivered, 200);
    assert_eq!(report.missing, 0);
    assert_eq!(report.backlogged, 0);
    assert_eq!(report.failed_clients, 0);
    assert!(report.fanout_ms.p99.is_some_and(|p| p > 0.0));
    assert!(report.server_cpu_s.is_some_and(|s| s > 0.0));
    assert!(report.server_peak_rss_kb.is_some_and(|kb| kb > 0));
    assert!(report.generator_cpu_s > 0.0);
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    for field in [
        "connect_ms",
        "per_delivery_ms",
        "delivered_per_s",
        "server_cpu_per_delivery_us",
    ] {
        assert!(!json[field].is_null(), "{field} is in the report");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_mode_times_every_renewal() {
    let server = start_server().await;
    let url = server.ws_url();
    let args = args(
        &url,
        &[
            "--mode",
            "presence",
            "--clients",
            "4",
            "--rooms",
            "1",
            "--renew-ms",
            "200",
            "--seconds",
            "1",
            "--warmup-seconds",
            "0",
        ],
    );
    let ModeReport::Presence(report) = ycord_benches::run(&args).await.unwrap() else {
        panic!("presence mode must produce a presence report");
    };
    assert!(
        report.sent >= 16,
        "4 clients renew about 5 times each, got {}",
        report.sent
    );
    assert_eq!(report.expected_deliveries, report.sent * 3);
    assert_eq!(report.missing, 0);
    assert_eq!(report.failed_clients, 0);
    assert!(report.server_cpu_s.is_some_and(|s| s > 0.0));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_mode_gives_every_joiner_the_whole_document() {
    let server = start_server().await;
    let url = server.ws_url();
    let args = args(
        &url,
        &[
            "--mode",
            "join",
            "--clients",
            "5",
            "--rooms",
            "1",
            "--doc-bytes",
            "20000",
            "--doc-edits",
            "200",
            "--doc-entries",
            "100",
        ],
    );
    let ModeReport::Join(report) = ycord_benches::run(&args).await.unwrap() else {
        panic!("join mode must produce a join report");
    };
    assert_eq!(report.complete_states, 5);
    assert!(report.doc_update_bytes > 20_000);
    assert!(report.all_synced_ms > 0.0);
    assert!(report.server_peak_rss_kb.is_some_and(|kb| kb > 0));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_mode_weighs_connections() {
    let server = start_server().await;
    let url = server.ws_url();
    let args = args(
        &url,
        &[
            "--mode",
            "idle",
            "--clients",
            "50",
            "--rooms",
            "5",
            "--seconds",
            "1",
        ],
    );
    let ModeReport::Idle(report) = ycord_benches::run(&args).await.unwrap() else {
        panic!("idle mode must produce an idle report");
    };
    assert_eq!(report.clients, 50);
    assert!(report.server_rss_connected_kb > 0);
    assert!(report.server_rss_per_connection_kb >= 0.0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_mode_with_minted_tokens_opens_an_auth_server() {
    let secret = b"a load-test secret of at least 32 bytes";
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, [&secret[..], b"\n"].concat()).unwrap();
    let server = Server::bind(Config {
        port: 0,
        storage: Storage::Memory,
        auth: Some(AuthConfig::with_secret(secret.to_vec())),
        ..Config::default()
    })
    .await
    .expect("the server starts on an ephemeral port");
    let url = server.ws_url();
    let idle = [
        "--mode",
        "idle",
        "--clients",
        "8",
        "--rooms",
        "4",
        "--seconds",
        "1",
    ];

    let without = ycord_benches::run(&args(&url, &idle)).await;
    let refusal = format!("{:#}", without.expect_err("no token, no connection"));
    assert!(refusal.contains("401"), "{refusal}");

    let secret_path = secret_file.to_str().unwrap();
    let with = args(
        &url,
        &[&idle[..], &["--token-secret-file", secret_path]].concat(),
    );
    let ModeReport::Idle(report) = ycord_benches::run(&with).await.unwrap() else {
        panic!("idle mode must produce an idle report");
    };
    assert_eq!(report.clients, 8);
    assert_eq!(report.tokens, "minted");
    assert!(report.handshake_ms.max.is_some_and(|ms| ms > 0.0));
    server.shutdown().await;
}
