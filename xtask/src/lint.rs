//! Formatting and clippy, as CI enforces them.

use anyhow::Result;

use crate::outcome::StepResult;
use crate::process;
use crate::workspace::Workspace;

pub fn fmt(workspace: &Workspace) -> Result<StepResult> {
    let passed = process::run(&mut workspace.cargo(&["fmt", "--all", "--", "--check"]))?;
    if !passed {
        eprintln!(
            "xtask: `cargo fmt --check` failed: format with `cargo fmt --all` (or fix the error above)"
        );
    }
    Ok(StepResult::from_status(passed))
}

pub fn clippy(workspace: &Workspace) -> Result<StepResult> {
    let passed = process::run(&mut workspace.cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    if !passed {
        eprintln!("xtask: clippy found problems (warnings are errors); fix them and rerun");
    }
    Ok(StepResult::from_status(passed))
}
