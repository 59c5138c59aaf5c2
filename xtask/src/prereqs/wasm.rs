//! What the browser suite needs from Rust: the wasm32 target and the `wasm-bindgen-cli`
//! whose version matches the `wasm-bindgen` in Cargo.lock exactly.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::process;
use crate::workspace::Workspace;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The variable through which cargo runs wasm32 test binaries: [`super::ensure`] sets it to
/// the wasm-bindgen test runner, and `wasm-bindgen` is installed beside that runner.
pub const RUNNER_VARIABLE: &str = "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER";

pub fn ensure_target(install: bool) -> Result<()> {
    let installed = process::output_of("rustup", &["target", "list", "--installed"])
        .is_some_and(|targets| targets.lines().any(|line| line.trim() == WASM_TARGET));
    if installed {
        println!("rust target {WASM_TARGET}: present");
        return Ok(());
    }
    if !install {
        bail!("rust target {WASM_TARGET} is missing; run `rustup target add {WASM_TARGET}`");
    }
    let mut command = std::process::Command::new("rustup");
    command.args(["target", "add", WASM_TARGET]);
    if !process::run(&mut command)? {
        bail!("`rustup target add {WASM_TARGET}` failed");
    }
    Ok(())
}

/// The `wasm-bindgen-test-runner` matching the locked `wasm-bindgen`, installed under
/// `<target>/tools/wasm-bindgen-<version>/` when missing (a build of a few minutes, done once
/// per target dir). A runner of another version cannot read what the macros generated.
pub fn ensure_test_runner(workspace: &Workspace, install: bool) -> Result<PathBuf> {
    let version = locked_version(&workspace.root.join("Cargo.lock"), "wasm-bindgen")?;
    let root = workspace
        .target_dir
        .join("tools")
        .join(format!("wasm-bindgen-{version}"));
    let runner = root.join("bin").join("wasm-bindgen-test-runner");
    if reports_version(&runner, &version) {
        println!("wasm-bindgen-test-runner {version}: present");
        return Ok(runner);
    }
    if !install {
        bail!(
            "wasm-bindgen-test-runner {version} is missing; run \
             `cargo install wasm-bindgen-cli --version ={version} --root {}`",
            root.display()
        );
    }
    // Not `--locked`: the CLI's own lock file pins crates some registries no longer serve.
    let mut command = std::process::Command::new("cargo");
    command
        .args(["install", "wasm-bindgen-cli", "--version"])
        .arg(format!("={version}"))
        .arg("--root")
        .arg(&root)
        .env_remove("CARGO_TARGET_DIR");
    if !process::run(&mut command)? {
        bail!("`cargo install wasm-bindgen-cli --version ={version}` failed");
    }
    if !reports_version(&runner, &version) {
        bail!(
            "{} does not report version {version} after installing it",
            runner.display()
        );
    }
    Ok(runner)
}

fn reports_version(runner: &Path, version: &str) -> bool {
    runner.is_file()
        && process::output_of(&runner.to_string_lossy(), &["--version"])
            .is_some_and(|output| output.split_whitespace().any(|word| word == version))
}

/// The version of `package` in a Cargo.lock (the only one, or the newest if several).
fn locked_version(lock: &Path, package: &str) -> Result<String> {
    let text =
        fs::read_to_string(lock).with_context(|| format!("while reading {}", lock.display()))?;
    parse_locked_version(&text, package)
        .with_context(|| format!("{package} is not in {}", lock.display()))
}

fn parse_locked_version(lock: &str, package: &str) -> Option<String> {
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    let mut found = None;
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            found = Some(version.trim_end_matches('"').to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_locked_version_of_a_package() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9.9.9\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            parse_locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(parse_locked_version(lock, "js-sys"), None);
    }
}
