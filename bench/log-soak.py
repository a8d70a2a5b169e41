#!/usr/bin/env python3
"""Load soak of a local stack: its tasks' logs under load (not part of CI).

    python3 bench/log-soak.py --deployer B/deployer [--deployer BASE/deployer ...] \
        [--seconds 90] [--clients 4]

For each deployer given (the first is the one measured, the others baselines, e.g. a build
of an earlier commit), in turn: `deployer local up` in a fresh state dir (the demo and hook
binaries as the tests' stacks use them), then CLIENTS keep-alive clients send `GET /`
through the local NLB for SECONDS, as fast as the stack answers. Each task logs one access
line per request (about 210 bytes), so the tasks' log streams fill within about 15 s.

Every 10 s it samples the stack's process: requests a second, CPU (% of one core, from
/proc/PID/stat), RSS, and the disk the state dir's `tasks/` take (allocated blocks, so a
released part of a file does not count). It prints those samples, then per deployer the
figures over the second half of the run (the streams full) and their ratios to the first
deployer's.

Bounded: each run stops after SECONDS; every request has a 5 s timeout; the stack is
stopped by `deployer local down` (and its state dir removed) even on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TARGET = os.environ.get("CARGO_TARGET_DIR", "target")


def blocks(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def soak(deployer: str, args) -> list[dict]:
    state = tempfile.mkdtemp(prefix="log-soak-")
    env = dict(os.environ, DEPLOYER_DEMO_BIN=args.demo, DEPLOYER_HOOK_BIN=args.hook)
    samples = []
    try:
        subprocess.run([deployer, "local", "up", "--detach", "--state-dir", state,
                        "--api-port", "0", "--nlb-port", "0", "--test-port", "0"],
                       env=env, check=True, capture_output=True, timeout=180)
        st = json.load(open(os.path.join(state, "state.json")))
        pid = st["pid"]
        host, port = st["nlb_url"].removeprefix("http://").rstrip("/").rsplit(":", 1)
        stop = time.monotonic() + args.seconds
        counts = [0] * args.clients
        errors = [0] * args.clients

        def client(i: int):
            c = http.client.HTTPConnection(host, int(port), timeout=5)
            while time.monotonic() < stop:
                try:
                    c.request("GET", "/")
                    c.getresponse().read()
                    counts[i] += 1
                except (OSError, http.client.HTTPException):
                    errors[i] += 1
                    c.close()
                    c = http.client.HTTPConnection(host, int(port), timeout=5)
            c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        last_cpu, last_n, last_t = cpu_seconds(pid), 0, t0
        while time.monotonic() < stop - 1:
            time.sleep(min(10, max(0.5, stop - time.monotonic() - 0.5)))
            now, n, cpu = time.monotonic(), sum(counts), cpu_seconds(pid)
            s = {"t": now - t0, "rps": (n - last_n) / (now - last_t),
                 "cpu": 100 * (cpu - last_cpu) / (now - last_t), "rss_kb": rss_kb(pid),
                 "disk_mb": blocks(os.path.join(state, "tasks")) / 1e6}
            samples.append(s)
            print(f"  t={s['t']:4.0f}s  {s['rps']:7.0f} req/s  cpu {s['cpu']:5.1f}%  "
                  f"rss {s['rss_kb']:7d} kB  tasks/ {s['disk_mb']:6.1f} MB", flush=True)
            last_cpu, last_n, last_t = cpu, n, now
        for t in threads:
            t.join()
        if sum(errors):
            print(f"  {sum(errors)} failed requests", flush=True)
        return samples
    finally:
        subprocess.run([deployer, "local", "down", "--state-dir", state], env=env,
                       capture_output=True, timeout=120)
        shutil.rmtree(state, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deployer", action="append", required=True,
                    help="the deployer measured; again for each baseline")
    ap.add_argument("--demo", default=os.path.join(TARGET, "test-demo", "demo"))
    ap.add_argument("--hook", default=os.path.join(TARGET, "debug", "bootstrap"))
    ap.add_argument("--seconds", type=int, default=90)
    ap.add_argument("--clients", type=int, default=4)
    args = ap.parse_args()
    if not 20 <= args.seconds <= 3600 or not 1 <= args.clients <= 64:
        sys.exit("--seconds must be 20-3600 and --clients 1-64")
    for b in args.deployer + [args.demo, args.hook]:
        if not os.access(b, os.X_OK):
            sys.exit(f"{b}: not built (cargo build -p deployer -p release-hook; the demo as "
                     "scripts/test builds it, or --demo target/debug/demo)")
    rows = []
    for d in args.deployer:
        print(f"{d}:", flush=True)
        samples = soak(d, args)
        late = [s for s in samples if s["t"] > args.seconds / 2]
        rows.append({
            "deployer": d,
            "rps": statistics.median(s["rps"] for s in late),
            "cpu": statistics.median(s["cpu"] for s in late),
            "cpu_ms_per_1k": statistics.median(s["cpu"] * 10_000 / max(s["rps"], 1)
                                               for s in late),
            "rss_kb": max(s["rss_kb"] for s in samples),
            "disk_mb": max(s["disk_mb"] for s in samples),
            "disk_end_mb": samples[-1]["disk_mb"],
        })
    base = rows[0]
    print("\nsecond half of each run (medians; RSS and tasks/ at their largest):")
    print("| deployer | req/s | stack CPU % | CPU ms per 1k req | RSS kB (max) | tasks/ MB max / end |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['deployer']} | {r['rps']:.0f} | {r['cpu']:.1f} | {r['cpu_ms_per_1k']:.1f} | "
              f"{r['rss_kb']} | {r['disk_mb']:.1f} / {r['disk_end_mb']:.1f} |")
    for r in rows[1:]:
        print(f"{base['deployer']} / {r['deployer']}: req/s x{base['rps'] / r['rps']:.2f}, "
              f"CPU per request x{base['cpu_ms_per_1k'] / r['cpu_ms_per_1k']:.2f}, "
              f"tasks/ at the end x{base['disk_end_mb'] / max(r['disk_end_mb'], 0.001):.2f}")


if __name__ == "__main__":
    main()
