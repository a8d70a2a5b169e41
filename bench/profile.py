#!/usr/bin/env python3
"""Where does a server's time go? Evidence for bench/README.md (not part of the tests).

  python3 bench/profile.py SCENARIO [--syscalls] [--perf] [--callgrind]
  (SCENARIO: hyper, demo-health, demo-root, express; see bench/harness.py)

--syscalls   (default) counts syscalls (per kind) and context switches per request with
             `perf stat` on the server while wrk loads it, exactly as in bench/run.sh.
--perf       samples the server with `perf record` (software cpu-clock; this VM has no
             hardware counters) and prints the flat profile by symbol.
--callgrind  runs the server under `valgrind --tool=callgrind`, zeroes the counters after
             the warm-up, dumps them after the load: user-space instructions per request
             (all threads), a figure that load on the machine does not disturb, and the
             functions that execute them.
--perf and --callgrind's listing need symbols: pass --target-dir of an unstripped build, e.g.
  CARGO_PROFILE_RELEASE_STRIP=none CARGO_TARGET_DIR=target/profiling \
    cargo build --release -p hello-hyper -p demo
(bench/profile.sh does this and then calls this script).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import ROOT, Server, free_port, run_wrk, wait_first_200  # noqa: E402

SYSCALLS = ["read", "recvfrom", "write", "writev", "sendto", "epoll_wait", "epoll_pwait",
            "epoll_ctl", "futex", "accept4", "close", "shutdown", "sched_yield", "mmap",
            "munmap", "madvise", "brk", "getrandom", "clock_nanosleep", "setsockopt",
            "statx", "openat", "ioctl"]


def perf_stat_events() -> list[str]:
    avail = subprocess.run(["perf", "list", "tracepoint"], capture_output=True, text=True,
                           timeout=60).stdout
    evs = [f"syscalls:sys_enter_{s}" for s in SYSCALLS if f"syscalls:sys_enter_{s} " in avail
           or f"syscalls:sys_enter_{s}\n" in avail]
    return ["raw_syscalls:sys_enter", "context-switches", "cpu-migrations", "page-faults"] + evs


def start(sc: harness.Scenario, args, logs: Path, wrap: list[str] | None = None) -> tuple[Server, int]:
    port = free_port()
    env = dict(sc.env, PORT=str(port), HOST="127.0.0.1")
    env.update(kv.split("=", 1) for kv in args.env)
    server = Server(sc.key, (wrap or []) + sc.argv, env, args.server_cpu,
                    logs / f"profile-{sc.key}.log", ROOT)
    wait_first_200(server, port, sc.path, bound_s=60 if wrap else 10)
    return server, port


def syscalls(sc, args, logs) -> None:
    server, port = start(sc, args, logs)
    try:
        url = f"http://127.0.0.1:{port}{sc.path}"
        run_wrk(url, args, 1)
        out = logs / f"perf-stat-{sc.key}.csv"
        perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", str(out),
                                 "-e", ",".join(perf_stat_events()), "-p", str(server.pid),
                                 "--", "sleep", str(args.duration + 1)])
        try:
            time.sleep(0.3)
            w = run_wrk(url, args, args.duration)
            perf.wait(timeout=args.duration + 30)
        finally:
            if perf.poll() is None:
                perf.kill()
                perf.wait()
        n = w["requests"]
        print(f"{sc.key}: {n:,} requests in {args.duration} s "
              f"({n / args.duration:,.0f} req/s under perf stat)")
        for line in out.read_text().splitlines():
            parts = line.split(",")
            if len(parts) < 3 or not parts[0].strip().isdigit():
                continue
            count, event = int(parts[0]), parts[2]
            if count:
                name = event.replace("syscalls:sys_enter_", "").replace("raw_syscalls:sys_enter",
                                                                        "ALL syscalls")
                print(f"  {name:<18} {count / n:8.3f} per request")
    finally:
        server.stop()


def perf_record(sc, args, logs) -> None:
    server, port = start(sc, args, logs)
    data = logs / f"perf-{sc.key}.data"
    try:
        url = f"http://127.0.0.1:{port}{sc.path}"
        run_wrk(url, args, 1)
        perf = subprocess.Popen(["perf", "record", "-q", "-F", "2999", "-o", str(data),
                                 "-p", str(server.pid), "--", "sleep", str(args.duration)],
                                stdout=subprocess.DEVNULL)
        try:
            run_wrk(url, args, args.duration)
            perf.wait(timeout=args.duration + 30)
        finally:
            if perf.poll() is None:
                perf.kill()
                perf.wait()
    finally:
        server.stop()
    rep = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio",
                          "--sort", "dso,symbol", "--percent-limit", str(args.limit)],
                         capture_output=True, text=True, timeout=300)
    print(f"{sc.key}: flat profile (self time, >= {args.limit}%), from {data}")
    for line in rep.stdout.splitlines():
        if line.strip() and not line.startswith("#"):
            print("  " + line.strip()[:150])


def callgrind(sc, args, logs) -> None:
    extra = dict(kv.split("=", 1) for kv in args.env)
    ir_per_req, n, dump = harness.callgrind_measure(sc, args, logs, extra)
    print(f"{sc.key}: {n:,} requests under callgrind: {ir_per_req:,.0f} instructions per "
          f"request (user space, all threads); dump {dump}")
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", str(dump)],
                         capture_output=True, text=True, timeout=300).stdout
    shown = 0
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*)", line)
        if m and shown < args.top:
            per = int(m.group(1).replace(",", "")) / n
            print(f"  {per:9,.0f}/req {m.group(2):>5}%  {m.group(3)[:140]}")
            shown += 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario")
    p.add_argument("--syscalls", action="store_true")
    p.add_argument("--perf", action="store_true")
    p.add_argument("--callgrind", action="store_true")
    p.add_argument("--env", action="append", default=[], metavar="K=V",
                   help="extra environment for the server (ablation: RUST_LOG=off)")
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--load-cpu", type=int, default=1)
    p.add_argument("--limit", type=float, default=1.0, help="perf report percent limit")
    p.add_argument("--top", type=int, default=30, help="callgrind functions shown")
    p.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target")))
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "profile"))
    args = p.parse_args()
    args.only, args.no_demo, args.no_node = args.scenario, False, False
    args.callgrind_duration = args.duration
    scs = harness.scenarios(args)
    if not scs:
        harness.die(f"unknown scenario {args.scenario!r} (hyper, demo-health, demo-root, express)")
    sc = scs[0]
    logs = Path(args.out)
    logs.mkdir(parents=True, exist_ok=True)
    os.sched_setaffinity(0, {args.load_cpu})
    try:
        if not (args.perf or args.callgrind):
            args.syscalls = True
        if args.syscalls:
            syscalls(sc, args, logs)
        if args.perf:
            perf_record(sc, args, logs)
        if args.callgrind:
            callgrind(sc, args, logs)
    finally:
        Server.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
