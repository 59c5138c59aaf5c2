//! The end-to-end suite: the browser examples built as `cargo xtask demo` builds them, served by
//! the real `ycord`, driven in Debian's Chromium by playwright-core (`interop/e2e/`).

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::outcome::StepResult;
use crate::prereqs::wasm::RUNNER_VARIABLE;
use crate::scratch::ScratchDir;
use crate::site;
use crate::workspace::Workspace;

pub fn run(workspace: &Workspace, env: &[(&str, String)]) -> Result<StepResult> {
    let runner = env
        .iter()
        .find(|(name, _)| *name == RUNNER_VARIABLE)
        .map(|(_, value)| PathBuf::from(value))
        .context("the wasm-bindgen tools were not installed for the e2e suite")?;
    let site = site::build(workspace, &runner.with_file_name("wasm-bindgen"))?;
    println!("\n{}", site.size_table());

    let artifacts = workspace.target_dir.join("e2e-artifacts");
    let scratch = ScratchDir::create(workspace, "e2e")?;
    let mut suite_env: Vec<(&str, String)> = env.to_vec();
    suite_env.push(scratch.tmpdir_variable());
    suite_env.push(("YCORD_SITE_DIR", site.root.to_string_lossy().into_owned()));
    suite_env.push((
        "YCORD_E2E_ARTIFACTS",
        artifacts.to_string_lossy().into_owned(),
    ));
    let result = super::interop::run_node_tests(workspace, "e2e", &suite_env)?;
    println!("screenshots: {}", artifacts.display());
    Ok(result)
}
