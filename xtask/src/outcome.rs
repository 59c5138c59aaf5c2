//! The result of each step and the summary table printed at the end.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::process::TestCounts;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    /// Not run, and why.
    Skipped(&'static str),
}

/// One row of the summary.
#[derive(Debug)]
pub struct Outcome {
    pub step: String,
    pub verdict: Verdict,
    pub counts: Option<TestCounts>,
    pub duration: Duration,
}

/// What a step reports when it ran.
pub struct StepResult {
    pub passed: bool,
    pub counts: Option<TestCounts>,
}

impl StepResult {
    pub fn from_status(passed: bool) -> Self {
        StepResult {
            passed,
            counts: None,
        }
    }
}

/// Every step's outcome, in the order they ran.
#[derive(Default)]
pub struct Summary {
    outcomes: Vec<Outcome>,
}

impl Summary {
    /// Runs a step, prints a banner before it, and records its outcome. A step that returns an
    /// error (it could not even start) counts as failed; the error is printed.
    pub fn run(&mut self, step: &str, body: impl FnOnce() -> Result<StepResult>) -> bool {
        println!("\n==> {step}");
        let started = Instant::now();
        let (verdict, counts) = match body() {
            Ok(result) if result.passed => (Verdict::Passed, result.counts),
            Ok(result) => (Verdict::Failed, result.counts),
            Err(err) => {
                eprintln!("xtask: {step} failed: {err:#}");
                (Verdict::Failed, None)
            }
        };
        let passed = verdict == Verdict::Passed;
        self.outcomes.push(Outcome {
            step: step.to_string(),
            verdict,
            counts,
            duration: started.elapsed(),
        });
        passed
    }

    pub fn skip(&mut self, step: &str, reason: &'static str) {
        self.outcomes.push(Outcome {
            step: step.to_string(),
            verdict: Verdict::Skipped(reason),
            counts: None,
            duration: Duration::ZERO,
        });
    }

    pub fn all_passed(&self) -> bool {
        self.outcomes
            .iter()
            .all(|outcome| outcome.verdict == Verdict::Passed)
    }

    pub fn table(&self) -> String {
        let mut table = String::new();
        let width = self
            .outcomes
            .iter()
            .map(|outcome| outcome.step.len())
            .max()
            .unwrap_or(0)
            .max("total".len());
        let _ = writeln!(
            table,
            "{:<width$} {:<8} {:>8}  tests",
            "step", "result", "time"
        );
        for outcome in &self.outcomes {
            let result = match outcome.verdict {
                Verdict::Passed => "ok".to_string(),
                Verdict::Failed => "FAILED".to_string(),
                Verdict::Skipped(_) => "skipped".to_string(),
            };
            let tests = match (&outcome.verdict, outcome.counts) {
                (Verdict::Skipped(reason), _) => reason.to_string(),
                (_, Some(counts)) => format!("{} passed, {} failed", counts.passed, counts.failed),
                (_, None) => String::new(),
            };
            let _ = writeln!(
                table,
                "{:<width$} {:<8} {:>7.1}s  {}",
                outcome.step,
                result,
                outcome.duration.as_secs_f64(),
                tests
            );
        }
        let total: Duration = self.outcomes.iter().map(|outcome| outcome.duration).sum();
        let _ = writeln!(
            table,
            "{:<width$} {:<8} {:>7.1}s",
            "total",
            if self.all_passed() { "ok" } else { "FAILED" },
            total.as_secs_f64()
        );
        // One machine-readable closing line over every suite.
        let (passed, failed) = self
            .outcomes
            .iter()
            .filter_map(|outcome| outcome.counts)
            .fold((0, 0), |(p, f), c| (p + c.passed, f + c.failed));
        let _ = writeln!(table, "\ntests: {passed} passed, {failed} failed");
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_or_skipped_step_fails_the_summary() {
        let mut summary = Summary::default();
        assert!(summary.run("a", || Ok(StepResult::from_status(true))));
        assert!(summary.all_passed());
        summary.skip("b", "build failed");
        assert!(!summary.all_passed());

        let mut summary = Summary::default();
        assert!(!summary.run("c", || anyhow::bail!("cannot start")));
        assert!(!summary.all_passed());
        assert!(summary.table().contains("FAILED"));
    }
}
