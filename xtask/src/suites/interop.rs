//! The Node interop suite: `node --test` over `interop/tests/*.test.mjs`, TAP output; the
//! runner the end-to-end suite shares.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::outcome::StepResult;
use crate::process::{self, TestCounts};
use crate::workspace::Workspace;

/// Binaries the tests spawn, passed as absolute paths in these variables.
const BINARIES: [(&str, &str); 2] = [
    ("YCORD_BIN", "ycord"),
    ("YCORD_AGENT_BIN", "ycord-interop-agent"),
];

/// The whole suite takes seconds; this only stops a hung test file from using up CI's limit
/// (node:test has no per-file timeout on Node 18/20).
const SUITE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Lines of each log in `interop/artifacts/` shown when the suite fails.
const LOG_TAIL_LINES: usize = 60;

pub fn run(workspace: &Workspace, env: &[(&str, String)]) -> Result<StepResult> {
    let artifacts = workspace.interop_dir().join("artifacts");
    if artifacts.exists() {
        fs::remove_dir_all(&artifacts)
            .with_context(|| format!("while clearing {}", artifacts.display()))?;
    }
    run_node_tests(workspace, "tests", env)
}

/// Runs `interop/<dir>/*.test.mjs` with `node --test`, one file at a time, with `env` and the
/// paths of the workspace binaries the tests spawn; prints the logs of failed files.
pub(super) fn run_node_tests(
    workspace: &Workspace,
    dir: &str,
    env: &[(&str, String)],
) -> Result<StepResult> {
    let interop = workspace.interop_dir();
    let artifacts = interop.join("artifacts");
    let mut command = std::process::Command::new("node");
    // The test files are listed explicitly: how `node --test` expands a directory differs
    // between Node 18, 20 and 22.
    command
        .args(["--test", "--test-concurrency=1", "--test-reporter=tap"])
        .args(test_files(&interop.join(dir))?)
        .current_dir(&interop)
        .envs(env.iter().map(|(name, value)| (name, value)));
    for (variable, binary) in BINARIES {
        let path = workspace.debug_binary(binary);
        if !path.is_file() {
            bail!(
                "{} does not exist although the build succeeded; is `{binary}` a binary of the workspace?",
                path.display()
            );
        }
        command.env(variable, path);
    }

    let mut failed_files = BTreeSet::new();
    let (passed, counts) =
        process::run_counting(&mut command, Some(SUITE_TIMEOUT), |line, counts| {
            count_line(line, counts);
            if let Some(file) = failure_location(line) {
                failed_files.insert(file);
            }
        })?;
    if !passed {
        print_logs(&artifacts, &failed_files);
    }
    Ok(StepResult {
        passed,
        counts: Some(counts),
    })
}

fn test_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dir).with_context(|| format!("while listing {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(".test.mjs") {
            files.push(path);
        }
    }
    if files.is_empty() {
        bail!("no *.test.mjs files in {}", dir.display());
    }
    files.sort();
    Ok(files)
}

/// Reads the TAP summary of `node --test`: `# pass 5`, `# fail 1`, `# cancelled 1`.
fn count_line(line: &str, counts: &mut TestCounts) {
    let mut words = line.split_whitespace();
    let (Some("#"), Some(label), Some(number), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return;
    };
    // Summary lines are the only unindented ones of this shape.
    if line.starts_with(' ') {
        return;
    }
    let Ok(number) = number.parse::<u64>() else {
        return;
    };
    match label {
        "pass" => counts.passed += number,
        "fail" | "cancelled" => counts.failed += number,
        _ => {}
    }
}

/// The test file named by a failure's `location: '/…/name.test.mjs:12:1'` line, as `name`.
/// (Node prints a location only for failed tests.)
fn failure_location(line: &str) -> Option<String> {
    let location = line.trim_start().strip_prefix("location: '")?;
    let file = &location[..location.find(".test.mjs")?];
    Some(file.rsplit('/').next()?.to_string())
}

/// Prints the end of the server and agent logs of the failed test files (of all, when no
/// failure named its file), so CI output shows them. Logs are named `<test file>--<role>…`.
fn print_logs(artifacts: &Path, failed_files: &BTreeSet<String>) {
    let Ok(entries) = fs::read_dir(artifacts) else {
        return;
    };
    let mut logs: Vec<PathBuf> = entries
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|log| {
            let name = log.file_name().unwrap_or_default().to_string_lossy();
            failed_files.is_empty()
                || failed_files
                    .iter()
                    .any(|file| name.starts_with(&format!("{file}--")))
        })
        .collect();
    logs.sort();
    for log in logs {
        let Ok(text) = fs::read_to_string(&log) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(LOG_TAIL_LINES);
        println!(
            "\n--- {} (last {} lines)",
            log.display(),
            lines.len() - start
        );
        for line in &lines[start..] {
            println!("{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_tap_summary_only() {
        let mut counts = TestCounts::default();
        for line in [
            "# Subtest: converges",
            "    # pass 3",
            "# tests 5",
            "# pass 4",
            "# fail 1",
            "# cancelled 1",
            "# skipped 0",
        ] {
            count_line(line, &mut counts);
        }
        assert_eq!(
            counts,
            TestCounts {
                passed: 4,
                failed: 2
            }
        );
    }

    #[test]
    fn finds_the_file_of_a_failure() {
        assert_eq!(
            failure_location("  location: '/w/interop/tests/late_joiner.test.mjs:13:1'"),
            Some("late_joiner".to_string())
        );
        assert_eq!(failure_location("  duration_ms: 12.5"), None);
    }
}
