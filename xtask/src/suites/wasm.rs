//! The browser suite: every crate that runs in browsers, tested with wasm-bindgen-test in
//! headless Chromium against a real `ycord` server.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::outcome::StepResult;
use crate::prereqs::wasm::WASM_TARGET;
use crate::process;
use crate::scratch::ScratchDir;
use crate::services::ycord::{mint_token, write_secret_file, TestYcord};
use crate::workspace::Workspace;

/// The crates with browser tests.
pub const CRATES: [&str; 3] = ["ycord-provider", "ycord-persistence", "ycord-leptos"];

/// Stops a hung browser test from using up CI's time limit.
const SUITE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The rooms the auth tests' tokens cover (`bindings/tests/browser/common.rs` names its rooms
/// after this prefix).
const AUTH_ROOMS: &str = "browser-auth-*";

/// Outlives the suite's timeout, so no token expires while the tests run.
const TOKEN_TTL: &str = "2h";

pub fn run(workspace: &Workspace, env: &[(&str, String)]) -> Result<StepResult> {
    let binary = workspace.debug_binary("ycord");
    if !binary.is_file() {
        bail!(
            "{} does not exist although the build succeeded",
            binary.display()
        );
    }
    let server = TestYcord::start(&binary)?;
    let scratch = ScratchDir::create(workspace, "wasm")?;
    let (tmpdir, tmpdir_value) = scratch.tmpdir_variable();
    // In the scratch directory, so the secret goes when the suite ends.
    let secret_file = PathBuf::from(&tmpdir_value).join("ycord-auth-secret");
    write_secret_file(&secret_file)?;
    let auth_server = TestYcord::start_with_auth(&binary, &secret_file)?;
    let mint =
        |room: &str, access: &str| mint_token(&binary, &secret_file, room, access, TOKEN_TTL);
    let tokens = [
        ("YCORD_TEST_TOKEN_RW", mint(AUTH_ROOMS, "rw")?),
        ("YCORD_TEST_TOKEN_RO", mint(AUTH_ROOMS, "ro")?),
        ("YCORD_TEST_TOKEN_OTHER_ROOM", mint("elsewhere", "rw")?),
    ];
    let mut args = vec!["test", "--target", WASM_TARGET, "--tests"];
    for name in CRATES {
        args.extend(["-p", name]);
    }
    let mut command = workspace.cargo(&args);
    command
        .envs(env.iter().map(|(name, value)| (name, value)))
        // Read by the tests at build time: the URL changes every run, so they rebuild.
        .env("YCORD_TEST_WS_URL", server.url())
        .env("YCORD_TEST_AUTH_WS_URL", auth_server.url())
        .envs(tokens)
        .env(tmpdir, tmpdir_value);
    let (passed, counts) =
        process::run_counting(&mut command, Some(SUITE_TIMEOUT), super::rust::count_line)?;
    drop(server);
    drop(auth_server);
    drop(scratch);
    Ok(StepResult {
        passed,
        counts: Some(counts),
    })
}
