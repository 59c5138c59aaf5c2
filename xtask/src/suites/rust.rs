//! `cargo test --workspace --all-features`, counting the `test result:` lines of every test
//! binary.

use anyhow::Result;

use crate::outcome::StepResult;
use crate::process::{self, TestCounts};
use crate::workspace::Workspace;

/// `env` carries what the started services tell the tests (`YCORD_TEST_POSTGRES_URL`,
/// `YCORD_TEST_REDIS_URL`).
pub fn run(workspace: &Workspace, env: &[(&str, String)]) -> Result<StepResult> {
    let mut command = workspace.cargo(&["test", "--workspace", "--all-features"]);
    command.envs(env.iter().map(|(name, value)| (name, value)));
    let (passed, counts) = process::run_counting(&mut command, None, count_line)?;
    Ok(StepResult {
        passed,
        counts: Some(counts),
    })
}

/// Adds `test result: ok. 3 passed; 1 failed; ...` to the counts.
pub(super) fn count_line(line: &str, counts: &mut TestCounts) {
    let Some(result) = line.strip_prefix("test result: ") else {
        return;
    };
    for part in result.split(';') {
        let mut words = part.split_whitespace().rev();
        let (Some(label), Some(number)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(number) = number.parse::<u64>() else {
            continue;
        };
        match label {
            "passed" => counts.passed += number,
            "failed" => counts.failed += number,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_cargo_test_summaries() {
        let mut counts = TestCounts::default();
        count_line(
            "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.31s",
            &mut counts,
        );
        count_line(
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
            &mut counts,
        );
        count_line("test it_passed ... ok", &mut counts);
        assert_eq!(
            counts,
            TestCounts {
                passed: 15,
                failed: 2
            }
        );
    }
}
