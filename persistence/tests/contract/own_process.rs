//! Running one test alone in a process of its own, for a test that reads or changes something
//! the whole process shares while the other tests of this binary run on other threads.

use std::process::Command;

/// Set in the child process: the test it runs.
const ALONE: &str = "YCORD_TEST_ALONE";

/// Runs `body` as the test `test` alone in a fresh process of this test binary.
///
/// `test` is the test's path as libtest names it (`module::function`). In the test runner's
/// process this starts the binary again with `--exact test` and asserts it passed; in that
/// child it runs `body`.
pub fn run_alone(test: &str, body: impl FnOnce()) {
    if std::env::var_os(ALONE).is_some_and(|running| running == test) {
        body();
        return;
    }
    // Output captured, so the child's own `test result:` line does not count as a test.
    let output = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(ALONE, test)
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // A name that matches no test would pass without running anything.
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test} failed in its own process ({}):\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
