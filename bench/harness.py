#!/usr/bin/env python3
"""Benchmark driver for bench/run.sh (standard library only).

Runs each scenario (one server process on one URL) in turn, interleaved over several
rounds (A B C D, A B C D, ...), with the server pinned to one core and wrk on the other,
and prints a table of medians with ratios against the baseline from the same run.

Per round and scenario it measures:
  spawn-to-first-200   exec of the server until the first 200 on the scenario's URL
  idle RSS             VmRSS after the first 200 and a short idle pause
  requests/s, p50/p99  wrk (one thread, fixed connections, bounded duration)
  CPU us / request     (utime+stime of the server, /proc/PID/stat) / requests served,
                       sampled around the measured wrk run only
  peak RSS             VmHWM after the load
  SIGTERM-to-exit      idle server, SIGTERM until the process is gone (pidfd)

Every server is started by this script and stopped by PID (SIGTERM, then SIGKILL after a
bound), also when the run fails or is interrupted. Every wait is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024

# Environment variables that would change how `demo` behaves: removed so it runs as shipped.
SCRUB_ENV = ("RUST_LOG", "RUST_BACKTRACE", "PORT", "HOST")


def die(msg: str) -> "NoReturn":  # noqa: F821
    print(f"bench: {msg}", file=sys.stderr)
    raise SystemExit(2)


# --------------------------------------------------------------------------- processes


class Server:
    """A server process started by us; `stop()` always ends it (by PID) and reaps it."""

    live: list["Server"] = []

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cpu: int,
                 log_path: Path, cwd: Path):
        self.name = name
        self.log_path = log_path
        log = open(log_path, "wb")
        # Pin the child by inheriting our affinity at exec time (no extra `taskset` exec in
        # the spawn time); we go back to the load core right after.
        mine = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {cpu})
        try:
            self.t_spawn = time.monotonic_ns()
            self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        finally:
            os.sched_setaffinity(0, mine)
            log.close()
        Server.live.append(self)
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def cpu_ticks(self) -> int:
        # Fields after the ")" of comm: state is field 3, utime 14, stime 15 (1-based).
        raw = Path(f"/proc/{self.pid}/stat").read_text()
        rest = raw[raw.rindex(")") + 2:].split()
        return int(rest[11]) + int(rest[12])

    def status_kib(self, key: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"{key} missing from /proc/{self.pid}/status")

    def terminate_and_time(self, bound_s: float) -> float | None:
        """SIGTERM, then wait for exit; returns ms, or None (and SIGKILLs) past the bound."""
        fd = os.pidfd_open(self.pid)
        try:
            t0 = time.monotonic_ns()
            os.kill(self.pid, signal.SIGTERM)
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            ready = poller.poll(bound_s * 1000)
            t1 = time.monotonic_ns()
        finally:
            os.close(fd)
        if not ready:
            self.stop()
            return None
        self.proc.wait(timeout=5)
        if self in Server.live:
            Server.live.remove(self)
        return (t1 - t0) / 1e6

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self in Server.live:
            Server.live.remove(self)

    @classmethod
    def stop_all(cls) -> None:
        for s in list(cls.live):
            try:
                s.stop()
            except Exception as e:  # keep stopping the others
                print(f"bench: could not stop {s.name} (pid {s.pid}): {e}", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(port: int, path: str, host: str = "127.0.0.1", timeout: float = 1.0) -> int | None:
    """One HTTP/1.1 request on a fresh connection; the status code, or None if no answer."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
                      .encode())
            head = s.recv(64)
    except OSError:
        return None
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return int(m.group(1)) if m else None


def wait_first_200(server: Server, port: int, path: str, bound_s: float) -> float:
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if http_status(port, path) == 200:
            return (time.monotonic_ns() - server.t_spawn) / 1e6
        if not server.alive():
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode} before "
                               f"answering 200 on {path}; log: {server.log_path}")
        time.sleep(0.0002)
    raise RuntimeError(f"{server.name} gave no 200 on {path} within {bound_s} s; "
                       f"log: {server.log_path}")


def run_wrk(url: str, args: argparse.Namespace, duration: float) -> dict:
    argv = ["wrk", "-t1", f"-c{args.connections}", f"-d{int(duration)}s", "--latency",
            "--timeout", "2s", "-s", str(ROOT / "bench" / "wrk-report.lua"), url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 20)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip()}")
    for line in out.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            result = json.loads(line[len("BENCH-JSON "):])
            # wrk is the only child reaped in between: its own CPU time.
            result["wrk_cpu_s"] = (after.ru_utime + after.ru_stime
                                   - before.ru_utime - before.ru_stime)
            return result
    raise RuntimeError(f"wrk printed no BENCH-JSON line:\n{out.stdout}")


def callgrind_control(pid: int, command: str) -> None:
    # vgdb names its FIFOs after $USER and $HOST: use the server's values (HOST=127.0.0.1).
    env = dict(os.environ, HOST="127.0.0.1")
    r = subprocess.run(["callgrind_control", command, str(pid)], capture_output=True, text=True,
                       env=env, timeout=60)
    if r.returncode != 0 or "OK." not in r.stdout or "error" in r.stderr:
        raise RuntimeError(f"callgrind_control {command} {pid} failed: {r.stdout} {r.stderr}")


def callgrind_measure(sc: "Scenario", args: argparse.Namespace, logs: Path,
                      extra_env: dict[str, str] | None = None) -> tuple[float, int, Path]:
    """User-space instructions per request (all threads) under callgrind: counters zeroed
    after a warm-up, dumped after a wrk run. Deterministic enough to compare on a busy
    machine. Returns (instructions per request, requests, dump file)."""
    if shutil.which("valgrind") is None:
        die("valgrind is not installed (apt-get install valgrind; bench/run.sh does this)")
    out = logs / f"callgrind.{sc.key}.out"
    for old in logs.glob(f"callgrind.{sc.key}.out*"):
        old.unlink()
    port = free_port()
    env = dict(sc.env, PORT=str(port), HOST="127.0.0.1", **(extra_env or {}))
    wrap = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-line=no"]
    server = Server(sc.key, wrap + sc.argv, env, args.server_cpu,
                    logs / f"callgrind-{sc.key}.log", ROOT)
    try:
        wait_first_200(server, port, sc.path, bound_s=60)
        url = f"http://127.0.0.1:{port}{sc.path}"
        run_wrk(url, args, 2)
        callgrind_control(server.pid, "--zero")
        w = run_wrk(url, args, args.callgrind_duration)
        callgrind_control(server.pid, "--dump=load")
    finally:
        server.stop()
    dumps = sorted(logs.glob(f"callgrind.{sc.key}.out.*"))
    if not dumps:
        raise RuntimeError(f"callgrind wrote no dump next to {out}")
    dump = dumps[0]  # the one --dump=load wrote
    totals = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(errors="replace"), re.M)
    if totals is None or not w["requests"]:
        raise RuntimeError(f"no instruction total or no requests in {dump}")
    return int(totals.group(1)) / w["requests"], w["requests"], dump


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    key: str
    label: str
    argv: list[str]
    path: str
    env: dict[str, str] = field(default_factory=dict)
    binary: Path | None = None  # for the binary-size column


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    rel = Path(args.target_dir) / "release"
    base = {k: v for k, v in os.environ.items() if k not in SCRUB_ENV and not k.startswith("DEMO_")}
    out = [Scenario("hyper", "hyper hello (baseline)", [str(rel / "hello-hyper")], "/",
                    base, rel / "hello-hyper")]
    if not args.no_demo:
        out.append(Scenario("demo-health", "demo GET /health", [str(rel / "demo")], "/health",
                            base, rel / "demo"))
        out.append(Scenario("demo-root", "demo GET /", [str(rel / "demo")], "/", base,
                            rel / "demo"))
    if not args.no_node:
        out.append(Scenario("express", "Node/Express 4 (peer)",
                            ["node", str(ROOT / "bench" / "peers" / "app.js")], "/", base))
    only = set(args.only.split(",")) if args.only else None
    return [s for s in out if only is None or s.key in only]


def measure_once(sc: Scenario, rnd: int, args: argparse.Namespace, logs: Path) -> dict:
    port = free_port()
    env = dict(sc.env, PORT=str(port), HOST="127.0.0.1")
    server = Server(sc.key, sc.argv, env, args.server_cpu, logs / f"{sc.key}-r{rnd}.log", ROOT)
    try:
        spawn_ms = wait_first_200(server, port, sc.path, bound_s=10)
        time.sleep(args.idle)
        idle_rss = server.status_kib("VmRSS")
        url = f"http://127.0.0.1:{port}{sc.path}"
        if args.warmup > 0:
            run_wrk(url, args, args.warmup)
        c0 = server.cpu_ticks()
        w = run_wrk(url, args, args.duration)
        c1 = server.cpu_ticks()
        if not server.alive():
            raise RuntimeError(f"{sc.key} died under load; log: {server.log_path}")
        peak_rss = server.status_kib("VmHWM")
        after_rss = server.status_kib("VmRSS")
        time.sleep(args.idle)
        term_ms = server.terminate_and_time(bound_s=30)
        exit_code = server.proc.returncode
    finally:
        server.stop()
    secs = w["duration_us"] / 1e6
    errs = sum(w["errors"].values())
    log_bytes = server.log_path.stat().st_size
    trim_log(server.log_path)
    return {
        "round": rnd,
        "rps": w["requests"] / secs,
        "requests": w["requests"],
        "errors": errs,
        "error_detail": w["errors"],
        "cpu_us_per_req": (c1 - c0) / CLK_TCK * 1e6 / max(w["requests"], 1),
        "cpu_util": (c1 - c0) / CLK_TCK / secs,
        "wrk_cpu_us_per_req": w["wrk_cpu_s"] * 1e6 / max(w["requests"], 1),
        "wrk_cpu_util": w["wrk_cpu_s"] / secs,
        "p50_ms": w["latency_us"]["p50"] / 1000,
        "p99_ms": w["latency_us"]["p99"] / 1000,
        "p999_ms": w["latency_us"]["p999"] / 1000,
        "idle_rss_mib": idle_rss / 1024,
        "peak_rss_mib": peak_rss / 1024,
        "after_load_rss_mib": after_rss / 1024,
        "spawn_ms": spawn_ms,
        "sigterm_ms": term_ms,
        "exit_code": exit_code,
        "log_bytes": log_bytes,
    }


def trim_log(path: Path, keep_lines: int = 20) -> None:
    """Keep the head of a server's log as evidence, not gigabytes of request lines."""
    lines = 0
    head: list[bytes] = []
    with open(path, "rb") as f:
        for line in f:
            if len(head) < keep_lines:
                head.append(line)
            lines += 1
    with open(path, "wb") as f:
        f.writelines(head)
        if lines > keep_lines:
            f.write(f"... ({lines - keep_lines} more lines trimmed by bench/harness.py)\n".encode())


def proc_ticks(pid: int) -> int:
    raw = Path(f"/proc/{pid}/stat").read_text()
    rest = raw[raw.rindex(")") + 2:].split()
    return int(rest[11]) + int(rest[12])


def proc_ppid(pid: int) -> int:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return int(raw[raw.rindex(")") + 2:].split()[1])


HAPROXY_CONFIG = """\
global
    nbthread 1
    maxconn 4096
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend nlb
    bind 127.0.0.1:{port}
    default_backend task
backend task
    server task 127.0.0.1:{task_port}
"""


def start_haproxy(task_port: int, args: argparse.Namespace, logs: Path) -> tuple[Server, int] | None:
    """A reference L4 proxy for the local NLB's figures: HAProxy in TCP mode, one thread,
    on the server core like the NLB, forwarding to the same task. What a mature
    event-driven proxy in C costs per request on the same path tells what is inherent to
    proxying on loopback and what is the NLB's own overhead."""
    exe = shutil.which("haproxy")
    if exe is None:
        print("bench: haproxy not installed (bench/run.sh installs it): no reference proxy row",
              flush=True)
        return None
    port = free_port()
    cfg = logs / "haproxy.cfg"
    cfg.write_text(HAPROXY_CONFIG.format(port=port, task_port=task_port))
    server = Server("haproxy", [exe, "-db", "-f", str(cfg)], {"PATH": os.environ["PATH"]},
                    args.server_cpu, logs / "haproxy.log", ROOT)
    wait_first_200(server, port, "/health", bound_s=10)
    return server, port


def measure_nlb(args: argparse.Namespace, logs: Path) -> dict | None:
    """The local NLB's cost: `deployer local up` (one task), then wrk straight to the task
    and through the NLB's listener, interleaved; throughput with -c{connections}, added
    latency with one connection. Stopped with `deployer local down`, and by PID if that
    fails."""
    rel = Path(args.target_dir) / "release"
    deployer, demo = rel / "deployer", rel / "demo"
    state = logs / "nlb-state"
    base = [str(deployer), "--output", "json", "local"]
    env = {k: v for k, v in os.environ.items()
           if k not in SCRUB_ENV and not k.startswith(("DEMO_", "DEPLOYER_", "AWS_"))}
    up = base + ["up", "--detach", "--state-dir", str(state), "--api-port", "0",
                 "--nlb-port", "0", "--test-port", "0", "--no-test-listener", "--tasks", "1",
                 "--demo-bin", str(demo), "--ready-timeout", "60s"]
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {args.server_cpu})  # the stack and its task: the server core
    try:
        r = subprocess.run(up, env=env, capture_output=True, text=True, timeout=120)
    finally:
        os.sched_setaffinity(0, mine)
    stack_pid = task_pid = None
    try:
        if r.returncode != 0:
            raise RuntimeError(f"deployer local up failed ({r.returncode}): {r.stderr.strip()}")
        run = lambda *a: json.loads(subprocess.run(  # noqa: E731
            base + list(a) + ["--state-dir", str(state)], env=env, capture_output=True,
            text=True, timeout=30, check=True).stdout)
        nlb_url = run("env")["DEPLOYER_LOCAL_NLB_URL"].rstrip("/")
        tasks = [t for ts in run("status")["task_sets"] for t in ts["tasks"]
                 if t.get("pid") and Path(f"/proc/{t['pid']}").exists()]
        if len(tasks) != 1:
            raise RuntimeError(f"expected one running task, got {tasks}")
        task_pid, task_port = int(tasks[0]["pid"]), int(tasks[0]["port"])
        stack_pid = proc_ppid(task_pid)
        comm = Path(f"/proc/{stack_pid}/comm").read_text().strip()
        if comm != "deployer":
            raise RuntimeError(f"the task's parent (pid {stack_pid}) is {comm!r}, not deployer")
        direct_url = f"http://127.0.0.1:{task_port}/health"
        paths = [("direct", direct_url, stack_pid), ("nlb", nlb_url + "/health", stack_pid)]
        haproxy = None if args.no_haproxy else start_haproxy(task_port, args, logs)
        if haproxy is not None:
            paths.append(("haproxy", f"http://127.0.0.1:{haproxy[1]}/health", haproxy[0].pid))
        rows: dict[str, list[dict]] = {key: [] for key, _, _ in paths}
        for _ in range(args.rounds):
            for key, url, proxy_pid in paths:
                run_wrk(url, args, args.warmup or 1)
                t0, s0 = proc_ticks(task_pid), proc_ticks(proxy_pid)
                w = run_wrk(url, args, args.duration)
                t1, s1 = proc_ticks(task_pid), proc_ticks(proxy_pid)
                one = run_wrk(url, argparse.Namespace(connections=1), 3)
                n = max(w["requests"], 1)
                rows[key].append({
                    "rps": w["requests"] / (w["duration_us"] / 1e6),
                    "task_cpu_us_per_req": (t1 - t0) / CLK_TCK * 1e6 / n,
                    "stack_cpu_us_per_req": (s1 - s0) / CLK_TCK * 1e6 / n,
                    "p99_ms": w["latency_us"]["p99"] / 1000,
                    "c1_p50_ms": one["latency_us"]["p50"] / 1000,
                    "c1_p99_ms": one["latency_us"]["p99"] / 1000,
                    "errors": sum(w["errors"].values()) + sum(one["errors"].values()),
                })
                r0 = rows[key][-1]
                print(f"  nlb {key:<7} {r0['rps']:>10,.0f} req/s  task {r0['task_cpu_us_per_req']:.2f}"
                      f" + proxy {r0['stack_cpu_us_per_req']:.2f} µs/req  one connection: p50 "
                      f"{r0['c1_p50_ms']:.3f} ms, p99 {r0['c1_p99_ms']:.3f} ms", flush=True)
        return {k: {m: median(v, m) for m in v[0]} for k, v in rows.items()}
    finally:
        down = subprocess.run(base + ["down", "--state-dir", str(state)], env=env,
                              capture_output=True, text=True, timeout=120)
        for pid in (task_pid, stack_pid):  # `down` stops them; make sure, by PID
            if pid and Path(f"/proc/{pid}").exists() and down.returncode != 0:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


# --------------------------------------------------------------------------- reporting

METRICS = [
    # key, header, format, ratio wanted
    ("rps", "req/s", "{:,.0f}", True),
    ("cpu_us_per_req", "CPU µs/req", "{:.2f}", True),
    ("cpu_util", "server CPU", "{:.0%}", False),
    ("instr_per_req", "instr/req", "{:,.0f}", True),
    ("p50_ms", "p50 ms", "{:.3f}", True),
    ("p99_ms", "p99 ms", "{:.3f}", True),
    ("idle_rss_mib", "idle RSS MiB", "{:.1f}", False),
    ("peak_rss_mib", "peak RSS MiB", "{:.1f}", False),
    ("spawn_ms", "spawn→200 ms", "{:.1f}", False),
    ("sigterm_ms", "SIGTERM→exit ms", "{:.1f}", False),
]


def median(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def stripped_size(binary: Path, work: Path) -> int | None:
    if not binary.exists():
        return None
    copy = work / (binary.name + ".stripped")
    shutil.copyfile(binary, copy)
    subprocess.run(["strip", "--strip-all", str(copy)], check=True, timeout=60)
    size = copy.stat().st_size
    copy.unlink()
    return size


def report(scs: list[Scenario], results: dict[str, list[dict]], sizes: dict[str, int | None],
           args: argparse.Namespace) -> tuple[str, list[str], dict]:
    med = {sc.key: {m[0]: median(results[sc.key], m[0]) for m in METRICS} for sc in scs}
    base = med.get("hyper")

    def ratio(key: str, metric: str) -> float | None:
        if base is None or med[key][metric] is None or not base.get(metric):
            return None
        return med[key][metric] / base[metric]

    headers = ["server"] + [m[1] for m in METRICS] + ["stripped binary"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for sc in scs:
        cells = [sc.label]
        for key, _, fmt, want_ratio in METRICS:
            v = med[sc.key][key]
            cell = "—" if v is None else fmt.format(v)
            r = ratio(sc.key, key) if want_ratio and sc.key != "hyper" else None
            if r is not None:
                cell += f" ({r:.2f}x)"
            cells.append(cell)
        size = sizes.get(sc.key)
        cells.append("—" if size is None else f"{size / MIB:.2f} MiB")
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)

    checks: list[str] = []

    def check(name: str, value: float | None, op: str, limit: float, unit: str = "") -> None:
        if value is None:
            checks.append(f"- [ ? ] {name}: not measured")
            return
        ok = value >= limit if op == ">=" else value <= limit
        checks.append(f"- [{'pass' if ok else 'MISS'}] {name}: {value:.2f}{unit} "
                      f"(target {op} {limit}{unit})")

    def rps_check(name: str, key: str, other: str, limit: float) -> None:
        """req/s of `key` against `other`. Both must have saturated their core (>= 90% CPU)
        for req/s to mean capacity; otherwise (a busy machine, or wrk the bottleneck) the
        check uses the capacity ratio from CPU µs/req instead, and says so."""
        a, b = med.get(key), med.get(other)
        if a is None or b is None or not a["rps"] or not b["rps"]:
            checks.append(f"- [ ? ] {name}: not measured")
            return
        if min(a["cpu_util"] or 0, b["cpu_util"] or 0) >= 0.9:
            check(name, a["rps"] / b["rps"], ">=", limit, "x")
            return
        check(f"{name} (capacity from CPU µs/req: not saturated, server CPU "
              f"{a['cpu_util']:.0%} and {b['cpu_util']:.0%}; measured req/s ratio "
              f"{a['rps'] / b['rps']:.2f}x)", b["cpu_us_per_req"] / a["cpu_us_per_req"],
              ">=", limit, "x")

    if "demo-health" in med:
        rps_check("demo /health req/s vs baseline", "demo-health", "hyper", 0.85)
        check("demo /health CPU/req vs baseline", ratio("demo-health", "cpu_us_per_req"),
              "<=", 1.2, "x")
    if "demo-root" in med:
        rps_check("demo / req/s vs baseline", "demo-root", "hyper", 0.8)
    if "express" in med:
        for key in ("demo-health", "demo-root"):
            if key in med:
                rps_check(f"{key} req/s vs Node/Express", key, "express", 12)
    for key in ("demo-health", "demo-root"):
        if key in med:
            check(f"{key} idle RSS", med[key]["idle_rss_mib"], "<=", 6, " MiB")
            check(f"{key} peak RSS", med[key]["peak_rss_mib"], "<=", 16, " MiB")
            check(f"{key} spawn→first 200", med[key]["spawn_ms"], "<=", 20, " ms")
            check(f"{key} SIGTERM→exit (idle)", med[key]["sigterm_ms"], "<=", 50, " ms")
    return table, checks, med


def image_size() -> dict[str, int] | None:
    """Runs bench/image-size.sh (the container test's build); None when it cannot."""
    print("bench: runtime image size (bench/image-size.sh: static build, podman build)...",
          flush=True)
    # A release build is no benchmark: ordinary scheduling, every CPU, default niceness.
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    os.setpriority(os.PRIO_PROCESS, 0, max(os.getpriority(os.PRIO_PROCESS, 0), 0))
    try:
        out = subprocess.run(["bash", str(ROOT / "bench" / "image-size.sh")], capture_output=True,
                             text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        print("bench: image-size.sh timed out", file=sys.stderr)
        return None
    if out.returncode != 0:
        print(f"bench: image-size.sh failed ({out.returncode}): {out.stderr.strip()[-2000:]}",
              file=sys.stderr)
        return None
    found = dict(re.findall(r"^(IMAGE_\w+)=(\d+)$", out.stdout, re.M))
    return {k: int(v) for k, v in found.items()} if "IMAGE_SIZE_BYTES" in found else None


def machine() -> dict:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break

    def version(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired, IndexError):
            return "not found"

    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "rustc": version(["rustc", "--version"]),
        "node": version(["node", "--version"]),
        "wrk": version(["wrk", "--version"]).split(" Copyright")[0],
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


# --------------------------------------------------------------------------- main


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 5)))
    p.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 5)),
                   help="seconds of measured load per scenario and round")
    p.add_argument("--warmup", type=int, default=1, help="seconds of unmeasured load first")
    p.add_argument("--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS", 64)))
    p.add_argument("--idle", type=float, default=0.5, help="idle pause (s) before RSS and SIGTERM")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--load-cpu", type=int, default=1)
    p.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target")))
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    p.add_argument("--only", help="comma-separated scenario keys (hyper,demo-health,demo-root,express)")
    p.add_argument("--no-demo", action="store_true", help="skip demo (not built yet)")
    p.add_argument("--no-node", action="store_true", help="skip the Node/Express peer")
    p.add_argument("--strict", action="store_true", help="exit 3 when a target is missed")
    p.add_argument("--realtime", action="store_true",
                   default=os.environ.get("BENCH_REALTIME") == "1",
                   help="run the servers and wrk with SCHED_FIFO priority 1 (root): on a busy "
                        "machine, a woken server or wrk then runs at once instead of waiting "
                        "for other jobs' time slices (the kernel still keeps 5%% for others)")
    p.add_argument("--no-image", action="store_true",
                   help="skip the runtime image size (bench/image-size.sh: static build + podman)")
    p.add_argument("--no-nlb", action="store_true",
                   help="skip the local NLB cost (needs target/release/deployer)")
    p.add_argument("--no-haproxy", action="store_true",
                   help="skip the reference proxy (HAProxy, TCP mode) in the local NLB figures")
    p.add_argument("--no-instructions", action="store_true",
                   help="skip the callgrind pass (instructions per request)")
    p.add_argument("--callgrind-duration", type=int, default=3,
                   help="seconds of load under callgrind per Rust server")
    p.add_argument("--nice", type=int, default=int(os.environ.get("BENCH_NICE", 0)),
                   help="niceness for the servers and wrk (e.g. -10 as root on a shared "
                        "machine, so other jobs disturb the measurement less)")
    args = p.parse_args()

    if args.rounds < 1 or args.duration <= 0 or args.connections < 1:
        die("--rounds, --duration and --connections must be positive")
    cpus = os.sched_getaffinity(0)
    for flag, cpu in (("--server-cpu", args.server_cpu), ("--load-cpu", args.load_cpu)):
        if cpu not in cpus:
            die(f"{flag} {cpu} is not an available CPU (available: {sorted(cpus)})")
    if args.server_cpu == args.load_cpu:
        die("--server-cpu and --load-cpu must differ")
    if shutil.which("wrk") is None:
        die("wrk is not installed (apt-get install wrk; bench/run.sh does this)")
    if not args.no_instructions and shutil.which("valgrind") is None:
        die("valgrind is not installed (apt-get install valgrind; bench/run.sh does this), "
            "or pass --no-instructions")

    scs = scenarios(args)
    for sc in scs:
        exe = sc.argv[0]
        if shutil.which(exe) is None and not Path(exe).is_file():
            die(f"{sc.key}: {exe} not found (bench/run.sh builds it)")

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = Path(args.out) / stamp
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    # SIGTERM/SIGHUP to us: unwind through `finally` so every server is stopped.
    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    os.sched_setaffinity(0, {args.load_cpu})  # wrk and this script: the load core
    if args.realtime:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))  # inherited
        except PermissionError:
            die("--realtime: not permitted (SCHED_FIFO needs root)")
    if args.nice:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # inherited by servers and wrk
        except PermissionError:
            die(f"--nice {args.nice}: not permitted (a negative niceness needs root)")

    info = machine()
    print(f"bench: {info['cpu']}, {info['cpus']} CPUs, {info['memory_gib']} GiB, "
          f"kernel {info['kernel']}; load average at start {' '.join(info['loadavg_at_start'])}")
    print(f"bench: {args.rounds} rounds x {len(scs)} scenarios, {args.duration:g} s each "
          f"(+{args.warmup:g} s warm-up), wrk -t1 -c{args.connections}; server on CPU "
          f"{args.server_cpu}, wrk on CPU {args.load_cpu}, "
          f"{'SCHED_FIFO 1' if args.realtime else f'niceness {args.nice}'}; "
          f"results in {out}")

    results: dict[str, list[dict]] = {sc.key: [] for sc in scs}
    try:
        for rnd in range(1, args.rounds + 1):
            for sc in scs:
                r = measure_once(sc, rnd, args, logs)
                results[sc.key].append(r)
                print(f"  round {rnd} {sc.key:<12} {r['rps']:>10,.0f} req/s  "
                      f"{r['cpu_us_per_req']:6.2f} µs/req (cpu {r['cpu_util']:.0%}, wrk {r['wrk_cpu_util']:.0%})  p99 {r['p99_ms']:.3f} ms  "
                      f"rss {r['idle_rss_mib']:.1f}/{r['peak_rss_mib']:.1f} MiB  "
                      f"spawn {r['spawn_ms']:.1f} ms  term "
                      + ("timeout" if r["sigterm_ms"] is None else f"{r['sigterm_ms']:.1f} ms")
                      + (f"  ERRORS {r['error_detail']}" if r["errors"] else ""),
                      flush=True)
        # One callgrind pass per Rust server (Node's JIT under valgrind says nothing).
        if not args.no_instructions:
            for sc in scs:
                if sc.binary is None:
                    continue
                ir, n, _ = callgrind_measure(sc, args, logs)
                for r in results[sc.key]:
                    r["instr_per_req"] = ir
                print(f"  callgrind {sc.key:<12} {ir:>10,.0f} instructions/request "
                      f"({n:,} requests)", flush=True)
        nlb = None
        if not args.no_nlb and not args.no_demo:
            print("bench: local NLB cost (deployer local up, one task)", flush=True)
            nlb = measure_nlb(args, logs)
    finally:
        Server.stop_all()

    sizes = {sc.key: stripped_size(sc.binary, out) if sc.binary else None for sc in scs}
    image = None if args.no_demo or args.no_image else image_size()
    table, checks, med = report(scs, results, sizes, args)
    def check(name: str, value: float, op: str, limit: float, unit: str = "") -> None:
        ok = value >= limit if op == ">=" else value <= limit
        checks.append(f"- [{'pass' if ok else 'MISS'}] {name}: {value:.2f}{unit} "
                      f"(target {op} {limit}{unit})")

    if nlb is not None:
        d, n = nlb["direct"], nlb["nlb"]
        table += ("\n\nLocal NLB (`deployer local`, one task, `GET /health`): "
                  "\n\n| path | req/s | task CPU µs/req | proxy CPU µs/req | p99 ms (-c"
                  f"{args.connections}) | p50 ms (1 conn) | p99 ms (1 conn) |\n|---|---|---|---|---|---|---|")
        labelled = [("direct to the task", d), ("through the NLB", n)]
        if "haproxy" in nlb:
            labelled.append(("through HAProxy (reference, same core)", nlb["haproxy"]))
        for label, r in labelled:
            table += (f"\n| {label} | {r['rps']:,.0f} | {r['task_cpu_us_per_req']:.2f} | "
                      f"{r['stack_cpu_us_per_req']:.2f} | {r['p99_ms']:.3f} | "
                      f"{r['c1_p50_ms']:.3f} | {r['c1_p99_ms']:.3f} |")
        check("local NLB req/s vs direct", n["rps"] / d["rps"], ">=", 0.7, "x")
        check("local NLB p99 added (one connection)", n["c1_p99_ms"] - d["c1_p99_ms"], "<=", 1,
              " ms")
        if "haproxy" in nlb:
            h = nlb["haproxy"]
            checks.append(f"- [info] HAProxy (reference) req/s vs direct: {h['rps'] / d['rps']:.2f}x; "
                          f"proxy CPU per request: NLB {n['stack_cpu_us_per_req']:.2f} µs, "
                          f"HAProxy {h['stack_cpu_us_per_req']:.2f} µs")
    if image is not None:
        size = image.get("IMAGE_SIZE_BYTES")
        table += (f"\n\nRuntime image (Dockerfile `runtime` stage, static `demo`, FROM scratch): "
                  f"{size / MIB:.2f} MiB (podman image size; "
                  f"{image.get('IMAGE_TAR_BYTES', 0) / MIB:.2f} MiB as a docker-archive)")
        ok = size <= 10 * MIB
        checks.append(f"- [{'pass' if ok else 'MISS'}] runtime image: {size / MIB:.2f} MiB "
                      f"(target <= 10 MiB)")
    print()
    print(f"Medians of {args.rounds} rounds; ratios against the baseline of the same run.")
    print()
    print(table)
    print()
    print("Targets (bench/README.md):")
    print("\n".join(checks))
    busy = [sc.key for sc in scs if (med[sc.key]["cpu_util"] or 0) < 0.9]
    if busy:
        print(f"\nNote: {', '.join(busy)} used under 90% of its core: the load generator or "
              "other work on the machine limited req/s; CPU µs/req is the figure to compare "
              f"(load average now {' '.join(Path('/proc/loadavg').read_text().split()[:3])}).")
    (out / "results.json").write_text(json.dumps(
        {"machine": info, "args": vars(args), "rounds": results, "medians": med,
         "stripped_sizes": sizes, "image": image, "nlb": nlb, "table": table, "checks": checks},
        indent=2))
    (out / "table.md").write_text(table + "\n\n" + "\n".join(checks) + "\n")
    latest = Path(args.out) / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(stamp)
    errors = sum(r["errors"] for rows in results.values() for r in rows)
    if errors:
        print(f"bench: {errors} wrk errors (socket errors or non-2xx); see results.json",
              file=sys.stderr)
    if args.strict and any("MISS" in c for c in checks):
        return 3
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        Server.stop_all()
