//! The browser suite: every crate that runs in browsers, tested with wasm-bindgen-test in
//! headless Chromium against a real `ycord` server.

use std::time::Duration;

use anyhow::{bail, Result};

use crate::outcome::StepResult;
use crate::prereqs::wasm::WASM_TARGET;
use crate::process;
use crate::scratch::ScratchDir;
use crate::services::ycord::TestYcord;
use crate::workspace::Workspace;

/// The crates with browser tests.
pub const CRATES: [&str; 3] = ["ycord-provider", "ycord-persistence", "ycord-leptos"];

/// Stops a hung browser test from using up CI's time limit.
const SUITE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

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
    let mut args = vec!["test", "--target", WASM_TARGET, "--tests"];
    for name in CRATES {
        args.extend(["-p", name]);
    }
    let mut command = workspace.cargo(&args);
    command
        .envs(env.iter().map(|(name, value)| (name, value)))
        // Read by the tests at build time: the URL changes every run, so they rebuild.
        .env("YCORD_TEST_WS_URL", server.url())
        .env(tmpdir, tmpdir_value);
    let (passed, counts) =
        process::run_counting(&mut command, Some(SUITE_TIMEOUT), super::rust::count_line)?;
    drop(server);
    drop(scratch);
    Ok(StepResult {
        passed,
        counts: Some(counts),
    })
}
