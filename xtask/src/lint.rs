//! Formatting and clippy, as CI enforces them. Clippy itself runs inside the builds when they
//! lint (`Workspace::with_clippy`); `clippy_wasm` covers the browser code when no browser
//! suite builds it.

use anyhow::Result;

use crate::outcome::StepResult;
use crate::prereqs::wasm::WASM_TARGET;
use crate::prereqs::Needs;
use crate::process;
use crate::site;
use crate::suites::wasm;
use crate::workspace::Workspace;

/// What the lint steps need installed: clippy checks the browser crates for wasm32 too, and
/// their tests include the npm bundle at compile time.
pub const NEEDS: Needs = Needs {
    lint_components: true,
    wasm_target: true,
    node_packages: true,
    browser_bundle: true,
    ..Needs::NOTHING
};

/// `cargo fmt --check` over the workspace.
pub fn fmt(workspace: &Workspace) -> Result<StepResult> {
    let passed = process::run(&mut workspace.cargo(&["fmt", "--all", "--", "--check"]))?;
    if !passed {
        eprintln!(
            "xtask: `cargo fmt --check` failed: format with `cargo fmt --all` (or fix the error above)"
        );
    }
    Ok(StepResult::from_status(passed))
}

/// `cargo clippy -D warnings` over the browser crates and examples for wasm32 (their
/// wasm32-only code and tests), for runs whose suites do not build them for wasm32.
pub fn clippy_wasm(workspace: &Workspace) -> Result<StepResult> {
    let mut args = vec!["clippy", "--target", WASM_TARGET, "--all-targets"];
    let examples = site::web_examples(workspace)?;
    for name in wasm::CRATES
        .into_iter()
        .chain(examples.iter().map(String::as_str))
    {
        args.extend(["-p", name]);
    }
    args.extend(["--", "-D", "warnings"]);
    let mut wasm_clippy = workspace.cargo(&args);
    // Browser tests read the server URL at build time; any value type-checks them.
    wasm_clippy.env("YCORD_TEST_WS_URL", "ws://127.0.0.1:1");
    let passed = process::run(&mut wasm_clippy)?;
    if !passed {
        eprintln!("xtask: clippy found problems (warnings are errors); fix them and rerun");
    }
    Ok(StepResult::from_status(passed))
}
