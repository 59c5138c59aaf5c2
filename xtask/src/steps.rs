//! `cargo xtask test`: the order of the steps and what a failure skips.

use anyhow::Result;

use crate::cli::TestOptions;
use crate::outcome::{StepResult, Summary};
use crate::workspace::Workspace;
use crate::{lint, prereqs, process};

/// Runs every step of `options`; `Ok(false)` if any failed. `Err` only when the steps cannot
/// start at all (a prerequisite is missing and cannot be installed).
pub fn test(options: &TestOptions) -> Result<bool> {
    let workspace = Workspace::locate()?;
    prereqs::ensure(&workspace, options)?;

    let mut summary = Summary::default();
    let built = summary.run("build", || build(&workspace));
    if options.lint {
        summary.run("fmt", || lint::fmt(&workspace));
        if built {
            summary.run("clippy", || lint::clippy(&workspace));
        } else {
            summary.skip("clippy", "build failed");
        }
    }
    for suite in &options.suites {
        if built {
            summary.run(suite.name(), || suite.run(&workspace));
        } else {
            summary.skip(suite.name(), "build failed");
        }
    }

    println!("\n==> summary\n{}", summary.table());
    let passed = summary.all_passed();
    if !passed {
        println!("xtask: some steps failed (see above)");
    }
    Ok(passed)
}

/// One build of everything, so the suites only run what is already compiled.
fn build(workspace: &Workspace) -> Result<StepResult> {
    let passed = process::run(&mut workspace.cargo(&["build", "--workspace", "--all-targets"]))?;
    Ok(StepResult::from_status(passed))
}
