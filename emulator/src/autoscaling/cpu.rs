//! The tasks' real CPU and memory use, measured from their processes: what ECS publishes as
//! the service's `CPUUtilization` and `MemoryUtilization` (CloudWatch, namespace AWS/ECS).
//!
//! CPU: the process's user + system time (`/proc/<pid>/stat`, all threads) over a wall
//! interval, relative to the task definition's CPU units (1024 units = one core), in
//! percent; the service's value is the sum used over the sum reserved, as ECS computes
//! it. Memory: resident set size (`/proc/<pid>/status` `VmRSS`) over the task's memory
//! (MiB). A task's child processes are not counted (a `demo` task has none).

use std::collections::HashMap;

/// One task to measure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskProc {
    pub(crate) task_id: String,
    pub(crate) pid: u32,
    /// The task definition's `cpu` (units; 1024 = one vCPU).
    pub(crate) cpu_units: u32,
    /// The task definition's `memory` (MiB).
    pub(crate) memory_mib: u32,
}

/// The service's utilization over one interval.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceUse {
    /// Percent of the reserved CPU; `None` when no task could be measured twice yet.
    pub(crate) cpu: Option<f64>,
    pub(crate) memory: Option<f64>,
    /// Per task: (id, CPU %, memory %).
    pub(crate) tasks: Vec<(String, Option<f64>, Option<f64>)>,
}

/// Clock ticks per second of `/proc` times.
pub(crate) fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|&t| t > 0)
        .map(|t| t as u64)
        .unwrap_or(100)
}

/// utime + stime (ticks) from the text of `/proc/<pid>/stat`: fields 14 and 15, counted
/// after the parenthesised command name (which may contain spaces).
pub(crate) fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(") ")?;
    // rest starts at field 3 (state); utime is field 14.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS` in bytes from the text of `/proc/<pid>/status`.
pub(crate) fn parse_status_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub(crate) fn cpu_ticks(pid: u32) -> Option<u64> {
    parse_stat_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

pub(crate) fn rss_bytes(pid: u32) -> Option<u64> {
    parse_status_rss(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

/// CPU percent of a reservation: `ticks` used over `seconds` of wall time.
pub(crate) fn cpu_percent(ticks: u64, ticks_per_sec: u64, seconds: f64, cpu_units: u32) -> f64 {
    if seconds <= 0.0 || cpu_units == 0 || ticks_per_sec == 0 {
        return 0.0;
    }
    let cores_used = ticks as f64 / ticks_per_sec as f64 / seconds;
    cores_used / (cpu_units as f64 / 1024.0) * 100.0
}

/// Remembers each task's last CPU reading, to turn counters into rates.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    last: HashMap<String, (u32, u64, f64)>,
}

impl Meter {
    /// Measures `tasks` at `now` (seconds) through `read` (pid -> (ticks, rss bytes));
    /// a task's first reading only sets its baseline.
    pub(crate) fn sample(
        &mut self,
        tasks: &[TaskProc],
        now: f64,
        ticks_per_sec: u64,
        read: impl Fn(u32) -> (Option<u64>, Option<u64>),
    ) -> ServiceUse {
        let mut used = 0.0;
        let mut reserved = 0.0;
        let mut mem_used = 0.0;
        let mut mem_reserved = 0.0;
        let mut per_task = Vec::new();
        let mut seen = HashMap::new();
        for t in tasks {
            let (ticks, rss) = read(t.pid);
            let mut cpu = None;
            if let Some(ticks) = ticks {
                if let Some(&(pid, before, at)) = self.last.get(&t.task_id) {
                    if pid == t.pid && ticks >= before && now > at {
                        let pct = cpu_percent(ticks - before, ticks_per_sec, now - at, t.cpu_units);
                        used += pct * t.cpu_units as f64;
                        reserved += t.cpu_units as f64;
                        cpu = Some(pct);
                    }
                }
                seen.insert(t.task_id.clone(), (t.pid, ticks, now));
            }
            let mem = rss.filter(|_| t.memory_mib > 0).map(|b| {
                let pct = b as f64 / (t.memory_mib as f64 * 1024.0 * 1024.0) * 100.0;
                mem_used += pct * t.memory_mib as f64;
                mem_reserved += t.memory_mib as f64;
                pct
            });
            per_task.push((t.task_id.clone(), cpu, mem));
        }
        // Tasks that are gone are forgotten.
        self.last = seen;
        ServiceUse {
            cpu: (reserved > 0.0).then(|| used / reserved),
            memory: (mem_reserved > 0.0).then(|| mem_used / mem_reserved),
            tasks: per_task,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_command_name_with_spaces() {
        let stat =
            "4242 (demo (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 8 0 12345 0 0";
        assert_eq!(parse_stat_ticks(stat), Some(300));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn own_process_is_readable() {
        let me = std::process::id();
        assert!(cpu_ticks(me).is_some());
        assert!(rss_bytes(me).unwrap() > 0);
        assert!(clock_ticks() > 0);
    }

    #[test]
    fn percent_is_relative_to_the_reservation() {
        // One full core for 2 s at 100 ticks/s on a 256-unit task: 400 %.
        assert_eq!(cpu_percent(200, 100, 2.0, 256), 400.0);
        // Half a core on 1024 units: 50 %.
        assert_eq!(cpu_percent(50, 100, 1.0, 1024), 50.0);
        assert_eq!(cpu_percent(50, 100, 0.0, 1024), 0.0);
    }

    #[test]
    fn meter_turns_counters_into_a_weighted_service_average() {
        let tasks = vec![
            TaskProc {
                task_id: "a".into(),
                pid: 1,
                cpu_units: 256,
                memory_mib: 512,
            },
            TaskProc {
                task_id: "b".into(),
                pid: 2,
                cpu_units: 256,
                memory_mib: 512,
            },
        ];
        let mut m = Meter::default();
        let first = m.sample(&tasks, 10.0, 100, |pid| {
            (Some(pid as u64 * 1000), Some(64 << 20))
        });
        assert_eq!(first.cpu, None, "a first reading is only a baseline");
        assert_eq!(first.memory, Some(12.5));
        // a used 25 ticks in 1 s (0.25 core = 100 % of 256 units), b used none.
        let second = m.sample(&tasks, 11.0, 100, |pid| {
            (
                Some(pid as u64 * 1000 + if pid == 1 { 25 } else { 0 }),
                None,
            )
        });
        assert_eq!(second.cpu, Some(50.0));
        assert_eq!(second.tasks[0].1, Some(100.0));
        assert_eq!(second.tasks[1].1, Some(0.0));
        assert_eq!(second.memory, None);
        // A replaced process (same task id, other pid) starts a new baseline.
        let moved = vec![TaskProc {
            pid: 9,
            ..tasks[0].clone()
        }];
        let third = m.sample(&moved, 12.0, 100, |_| (Some(5), None));
        assert_eq!(third.cpu, None);
    }
}
