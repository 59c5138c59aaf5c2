//! CPU time and peak memory of a process, read from Linux `/proc`.

use std::io;
use std::process::Command;

use anyhow::Context;

/// Which process to sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcTarget {
    /// The load generator itself.
    Own,
    /// Another process, such as the server under test.
    Pid(u32),
}

impl ProcTarget {
    fn path(self, file: &str) -> String {
        match self {
            ProcTarget::Own => format!("/proc/self/{file}"),
            ProcTarget::Pid(pid) => format!("/proc/{pid}/{file}"),
        }
    }
}

/// One reading of a process's resource use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcSample {
    /// User plus system CPU time since the process started, in seconds.
    pub cpu_seconds: f64,
    /// Peak resident set size (`VmHWM`) in KiB.
    pub peak_rss_kb: Option<u64>,
    /// Resident set size now (`VmRSS`) in KiB.
    pub rss_kb: Option<u64>,
}

/// Reads `/proc/PID/stat` (utime + stime) and `/proc/PID/status` (VmHWM).
///
/// # Errors
/// When the process is gone or the files do not have the expected shape.
pub fn sample(target: ProcTarget, ticks_per_second: u64) -> anyhow::Result<ProcSample> {
    let stat_path = target.path("stat");
    let stat =
        std::fs::read_to_string(&stat_path).with_context(|| format!("reading {stat_path}"))?;
    let ticks = cpu_ticks(&stat)
        .ok_or_else(|| io::Error::other(format!("no utime/stime in {stat_path}")))?;
    let status = std::fs::read_to_string(target.path("status")).ok();
    Ok(ProcSample {
        cpu_seconds: ticks as f64 / ticks_per_second as f64,
        peak_rss_kb: status.as_deref().and_then(|s| status_kb(s, "VmHWM:")),
        rss_kb: status.as_deref().and_then(|s| status_kb(s, "VmRSS:")),
    })
}

/// Clock ticks per second that `/proc/PID/stat` counts in (`getconf CLK_TCK`; 100 when
/// `getconf` is missing, which is what Linux uses on every common architecture).
pub fn ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line, in clock ticks.
fn cpu_ticks(stat: &str) -> Option<u64> {
    // Field 2, the command name, is parenthesised and may itself hold spaces and ')'.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The value of the `field` line (such as `VmHWM:`) of a `/proc/PID/status` file, in KiB.
fn status_kb(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_skips_a_command_name_with_spaces() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 \
                    1234 567 0 0 20 0 4 0 100 1000000 300 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(1234 + 567));
    }

    #[test]
    fn vm_hwm_is_read_in_kib() {
        let status = "Name:\tycord\nVmPeak:\t  99999 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(status_kb(status, "VmHWM:"), Some(12345));
        assert_eq!(status_kb(status, "VmRSS:"), Some(1));
        assert_eq!(status_kb("Name:\tkthread\n", "VmHWM:"), None);
    }

    #[test]
    fn own_process_can_be_sampled() {
        let sample = sample(ProcTarget::Own, ticks_per_second()).unwrap();
        assert!(sample.cpu_seconds >= 0.0);
        assert!(sample.peak_rss_kb.unwrap() > 0);
    }
}
