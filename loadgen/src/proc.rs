//! CPU time and resident memory of a process, from Linux's `/proc`: the generator's own (to tell
//! when it, not the server, was the bottleneck) and the server's (`--server-pid`), so that
//! throughput can be divided by the server's CPU seconds.

use std::time::Duration;

/// Linux reports `utime` and `stime` in clock ticks of `sysconf(_SC_CLK_TCK)`, which is 100 on
/// every Linux ABI that matters (the kernel's `USER_HZ`).
const TICKS_PER_SECOND: u64 = 100;

/// User plus system CPU time of process `pid` (`None`: this process).
pub fn cpu_time(pid: Option<u32>) -> Option<Duration> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => String::from("/proc/self/stat"),
    };
    parse_stat_cpu(&std::fs::read_to_string(path).ok()?)
}

/// Resident memory of process `pid` in KiB (`VmRSS` of `/proc/<pid>/status`).
pub fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => String::from("/proc/self/status"),
    };
    parse_status_rss(&std::fs::read_to_string(path).ok()?)
}

/// `utime + stime` of a `/proc/<pid>/stat` line. The command name (field 2) is parenthesized and
/// may hold spaces and parentheses, so the fields are counted from its last `)`.
pub fn parse_stat_cpu(stat: &str) -> Option<Duration> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_ascii_whitespace();
    // After the name: state (3), ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt,
    // majflt, cmajflt, then utime (14) and stime (15).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime.checked_add(stime)?;
    Some(Duration::from_millis(ticks * (1000 / TICKS_PER_SECOND)))
}

/// `VmRSS` in KiB of a `/proc/<pid>/status` text.
pub fn parse_status_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_name() {
        // A name with a space and a parenthesis, as `(tokio (w) 1)`.
        let stat = "4242 (tokio (w) 1) S 1 4242 4242 0 -1 4194304 1000 0 0 0 250 37 0 0 20 0 3 0 100 \
                    1000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assert_eq!(parse_stat_cpu(stat), Some(Duration::from_millis(2870)));
        assert_eq!(parse_stat_cpu("12 (x"), None);
        assert_eq!(parse_stat_cpu("12 (x) S 1 2"), None);
    }

    #[test]
    fn rss_is_read_in_kib() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmRSS:\t    4321 kB\nThreads:\t1\n";
        assert_eq!(parse_status_rss(status), Some(4321));
        assert_eq!(parse_status_rss("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        assert!(cpu_time(None).is_some());
        assert!(rss_kib(None).is_some_and(|kib| kib > 0));
    }
}
