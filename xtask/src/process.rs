//! Running child processes with their output visible, optionally counting test results.

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// Tests counted from a suite's output.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TestCounts {
    pub passed: u64,
    pub failed: u64,
}

/// `$ program args…`, as printed before a command runs.
pub fn display(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `command` with inherited stdio; `Ok(true)` if it exited successfully.
pub fn run(command: &mut Command) -> Result<bool> {
    println!("$ {}", display(command));
    let status = command
        .status()
        .with_context(|| format!("cannot start `{}`", display(command)))?;
    Ok(status.success())
}

/// Runs `command`, copying its stdout to ours line by line while `count` reads each line.
/// Stderr is inherited. With a `timeout`, the process is killed once it has run that long
/// (and the run counts as failed), so a hung suite cannot eat CI's whole time limit.
pub fn run_counting(
    command: &mut Command,
    timeout: Option<Duration>,
    mut count: impl FnMut(&str, &mut TestCounts),
) -> Result<(bool, TestCounts)> {
    println!("$ {}", display(command));
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start `{}`", display(command)))?;
    let lines = read_lines(child.stdout.take().context("child stdout was not piped")?);
    let deadline = timeout.map(|timeout| Instant::now() + timeout);
    let mut counts = TestCounts::default();
    loop {
        let line = match deadline {
            None => lines.recv().ok(),
            Some(deadline) => {
                match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(line) => Some(line),
                    Err(RecvTimeoutError::Disconnected) => None,
                    Err(RecvTimeoutError::Timeout) => {
                        // Grandchildren may still hold the pipe: stop reading, do not wait for EOF.
                        let _ = child.kill();
                        let _ = child.wait();
                        eprintln!(
                            "xtask: `{}` was killed after {:?} without finishing",
                            display(command),
                            timeout.unwrap_or_default()
                        );
                        return Ok((false, counts));
                    }
                }
            }
        };
        let Some(line) = line else { break };
        let mut out = std::io::stdout().lock();
        out.write_all(line.as_bytes())?;
        out.flush()?;
        count(line.trim_end(), &mut counts);
    }
    let status = child.wait()?;
    Ok((status.success(), counts))
}

/// Lines of `stdout` (newline included, invalid UTF-8 replaced), read on their own thread.
fn read_lines(stdout: ChildStdout) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buffer).into_owned();
                    if sender.send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    receiver
}

/// Output of a short command, or `None` if it cannot run or fails.
pub fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_kills_what_runs_too_long() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo one; echo two; sleep 3"]);
        let started = Instant::now();
        let (passed, counts) = run_counting(
            &mut command,
            Some(Duration::from_millis(300)),
            |_, counts| counts.passed += 1,
        )
        .unwrap();
        assert!(!passed, "a killed run is a failed run");
        assert_eq!(counts.passed, 2);
        // `sleep` still holds the pipe: the run must end without waiting for it.
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
