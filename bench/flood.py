#!/usr/bin/env python3
"""Connection-flood benchmark for bench/flood.sh (standard library only).

Normal load (wrk -t1 -c64 on GET /health) against `demo` as shipped, without a flood and
with one running beside it, interleaved over several rounds, each on a fresh server:

  none        no flood
  idle        cap + 500 keep-alive connections that sent one request, then silence
  silent      cap + 500 connections that never send anything
  slowloris   cap + 500 connections that send part of a head and never finish it

The flood process keeps cap + 500 connections open, reopening the ones the server closes at
up to --flood-rate connections a second (an attacker who holds connections, not a
connection-rate attack). Besides wrk, the harness probes GET /health on a new connection
every 100 ms (1 s bound, like a load balancer's health check). Reported per scenario
(medians over rounds): req/s, p50, p99, server CPU per request, the probes' worst latency
and failures, the server's RSS at the cap before the load and its peak, connections open,
and the connections the server closed (from its rate-limited log line).

The server is pinned to --server-cpu, wrk, the flood and this script to --load-cpu. Every
process is started by this script and stopped by PID, also on failure or Ctrl-C; every wait
is bounded.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import resource
import select
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402  (bench/harness.py: Server, run_wrk, ...)

ROOT = harness.ROOT
KINDS = ("none", "idle", "silent", "slowloris")
PAYLOAD = {
    "idle": b"GET /health HTTP/1.1\r\nHost: flood\r\n\r\n",
    "silent": b"",
    "slowloris": b"GET /health HTTP/1.1\r\nHost: flood\r\nX-Slow: ",
}
EXTRA = 500


# --------------------------------------------------------------------------- the flood


def flood_main(port: int, kind: str, target: int, rate: float, bound_s: float) -> None:
    """Child process: keep `target` connections of `kind` open until SIGTERM (or bound_s);
    print one JSON line of counts on exit."""
    stop = False

    def on_term(_s, _f):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    if os.sched_getscheduler(0) != os.SCHED_OTHER:
        # Not at the servers' and wrk's real-time priority: the attacker gets what is left.
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    payload = PAYLOAD[kind]
    ep = select.epoll()
    socks: dict[int, tuple[socket.socket, bool]] = {}  # fd -> (socket, connected)
    opened = closed_by_server = failed = 0
    tokens = float(target)  # the first fill is not rate limited
    last = time.monotonic()
    deadline = last + bound_s

    def open_one() -> None:
        nonlocal opened
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", port))
        opened += 1
        if err not in (0, errno.EINPROGRESS):
            s.close()
            return
        socks[s.fileno()] = (s, False)
        ep.register(s.fileno(), select.EPOLLOUT | select.EPOLLRDHUP)

    def drop(fd: int) -> None:
        s, _ = socks.pop(fd)
        ep.unregister(fd)
        s.close()

    try:
        while not stop and time.monotonic() < deadline:
            now = time.monotonic()
            tokens = min(tokens + (now - last) * rate, max(rate, 1.0))
            if opened < target:
                tokens = max(tokens, target - opened)
            last = now
            while len(socks) < target and tokens >= 1:
                tokens -= 1
                open_one()
            for fd, ev in ep.poll(0.05):
                s, connected = socks.get(fd, (None, False))
                if s is None:
                    continue
                if not connected:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err or ev & (select.EPOLLERR | select.EPOLLHUP):
                        failed += 1
                        drop(fd)
                        continue
                    try:
                        if payload:
                            s.send(payload)
                    except OSError:
                        failed += 1
                        drop(fd)
                        continue
                    socks[fd] = (s, True)
                    ep.modify(fd, select.EPOLLIN | select.EPOLLRDHUP)
                    continue
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # end-of-file or reset: the server closed it
                    closed_by_server += 1
                    drop(fd)
                # else: the answer to the one request; stay open and silent
    finally:
        print(json.dumps({"opened": opened, "closed_by_server": closed_by_server,
                          "connect_failed": failed, "open_at_end": len(socks)}), flush=True)
        for fd in list(socks):
            drop(fd)


# --------------------------------------------------------------------------- the harness


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def probe(port: int) -> float | None:
    """GET /health on a new connection; seconds until the answer, None if none within 1 s
    or not 200."""
    t0 = time.monotonic()
    status = harness.http_status(port, "/health", timeout=1.0)
    took = time.monotonic() - t0
    return took if status == 200 and took <= 1.0 else None


def run_wrk_probing(port: int, args: argparse.Namespace) -> tuple[dict, list[float | None]]:
    """wrk for args.duration seconds while probing /health every 100 ms."""
    url = f"http://127.0.0.1:{port}/health"
    argv = ["wrk", "-t1", f"-c{args.connections}", f"-d{int(args.duration)}s", "--latency",
            "--timeout", "2s", "-s", str(ROOT / "bench" / "wrk-report.lua"), url]
    wrk = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    probes: list[float | None] = []
    policy = os.sched_getscheduler(0)
    if policy == os.SCHED_FIFO:
        # With --realtime, wrk (FIFO 1, same core) would run until it blocks and starve the
        # prober: probe one level above it (the probes are tiny).
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(2))
    try:
        deadline = time.monotonic() + args.duration + 20
        while wrk.poll() is None and time.monotonic() < deadline:
            probes.append(probe(port))
            time.sleep(0.1)
        out, err = wrk.communicate(timeout=30)
    finally:
        if policy == os.SCHED_FIFO:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.returncode}): {err.strip()}")
    for line in out.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON "):]), probes
    raise RuntimeError(f"wrk printed no BENCH-JSON line:\n{out}")


def closed_from_log(path: Path) -> int:
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        if "connection cap reached" in line:
            try:
                total = max(total, int(json.loads(line).get("closed_total", 0)))
            except ValueError:
                pass
    return total


def measure(kind: str, rnd: int, args: argparse.Namespace, logs: Path, cap: int) -> dict:
    port = harness.free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in harness.SCRUB_ENV and not k.startswith("DEMO_")}
    env.update(PORT=str(port), HOST="127.0.0.1")
    if args.cap:
        env["DEMO_MAX_CONNECTIONS"] = str(args.cap)
    demo = str(Path(args.target_dir) / "release" / "demo")
    log = logs / f"{kind}-r{rnd}.log"
    server = harness.Server(kind, [demo], env, args.server_cpu, log, ROOT)
    flood = None
    try:
        harness.wait_first_200(server, port, "/health", bound_s=10)
        at_cap_rss = None
        if kind != "none":
            flood = subprocess.Popen(
                [sys.executable, __file__, "--flood-child", kind, "--port", str(port),
                 "--target", str(cap + EXTRA), "--flood-rate", str(args.flood_rate),
                 "--bound", str(args.duration + 120)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Under pressure: the server holds 7/8 of its cap or more (+ its own few files).
            # A slowloris or silent flood may never fill it: near the cap their heads get
            # 2 s, so a slow flooder loses connections as fast as it opens them.
            near = cap - cap // 8
            deadline = time.monotonic() + 60
            while open_fds(server.pid) < near and time.monotonic() < deadline:
                if flood.poll() is not None:
                    raise RuntimeError(f"the flood exited early: {flood.stderr.read()}")
                time.sleep(0.1)
            if open_fds(server.pid) < near:
                raise RuntimeError(f"{kind}: the server did not reach 7/8 of its cap ({near}) "
                                   "in 60 s")
            time.sleep(0.5)
            at_cap_rss = server.status_kib("VmRSS")
        elif args.warmup:
            harness.run_wrk(f"http://127.0.0.1:{port}/health", args, args.warmup)
        fds_before = open_fds(server.pid)
        c0 = server.cpu_ticks()
        w, probes = run_wrk_probing(port, args)
        c1 = server.cpu_ticks()
        fds_after = open_fds(server.pid)
        if not server.alive():
            raise RuntimeError(f"demo died; log: {log}")
        peak_rss = server.status_kib("VmHWM")
        flood_report = {}
        if flood is not None:
            flood.send_signal(signal.SIGTERM)
            out, _ = flood.communicate(timeout=30)
            flood_report = json.loads(out.strip().splitlines()[-1])
            flood = None
            time.sleep(1.2)  # the server's last rate-limited log line
    finally:
        if flood is not None:
            flood.kill()
            flood.wait()
        server.stop()
    secs = w["duration_us"] / 1e6
    answered = [p for p in probes if p is not None]
    return {
        "round": rnd,
        "rps": w["requests"] / secs,
        "errors": sum(w["errors"].values()),
        "p50_ms": w["latency_us"]["p50"] / 1000,
        "p99_ms": w["latency_us"]["p99"] / 1000,
        "cpu_us_per_req": (c1 - c0) / harness.CLK_TCK * 1e6 / max(w["requests"], 1),
        "cpu_util": (c1 - c0) / harness.CLK_TCK / secs,
        "probes": len(probes),
        "probe_failures": len(probes) - len(answered),
        "probe_max_ms": max(answered) * 1000 if answered else None,
        "at_cap_rss_mib": at_cap_rss / 1024 if at_cap_rss else None,
        "peak_rss_mib": peak_rss / 1024,
        "open_fds": (fds_before, fds_after),
        "closed_by_server": closed_from_log(log),
        "flood": flood_report,
    }


def med(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=5, help="seconds of measured load")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--flood-rate", type=float, default=1000.0,
                   help="reconnections a second at most, once the flood is up")
    p.add_argument("--cap", type=int, default=0,
                   help="DEMO_MAX_CONNECTIONS (default: demo's own, from the open-file limit)")
    p.add_argument("--kinds", default=",".join(KINDS))
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--load-cpu", type=int, default=1)
    p.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target")))
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    p.add_argument("--realtime", action="store_true",
                   help="SCHED_FIFO 1 for the server and wrk, as bench/run.sh does with "
                        "BENCH_REALTIME=1; off by default here: it distorts the latency of new "
                        "connections (bench/README.md, \"Connection flood\")")
    # The flood child (started by this script).
    p.add_argument("--flood-child", choices=KINDS[1:], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--target", type=int, help=argparse.SUPPRESS)
    p.add_argument("--bound", type=float, default=180, help=argparse.SUPPRESS)
    args = p.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the flood's sockets (inherited)
    if args.flood_child:
        flood_main(args.port, args.flood_child, args.target, args.flood_rate, args.bound)
        return 0

    kinds = args.kinds.split(",")
    if any(k not in KINDS for k in kinds):
        harness.die(f"--kinds: one of {','.join(KINDS)}")
    # demo inherits our (raised) limit; its default cap follows demo's own rule.
    cap = args.cap or min(hard, 8_192) - 64  # app/src/fd_limit.rs
    if hard < cap + EXTRA + 256:
        harness.die(f"the flood needs {cap + EXTRA + 256} open files; the hard limit is {hard} "
                    "(ulimit -Hn), or pass a smaller --cap")
    demo = Path(args.target_dir) / "release" / "demo"
    if not demo.is_file():
        harness.die(f"{demo} not found (bench/flood.sh builds it)")

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = Path(args.out) / f"flood-{stamp}"
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    os.sched_setaffinity(0, {args.load_cpu})
    if args.realtime:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        except PermissionError:
            harness.die("--realtime: not permitted (SCHED_FIFO needs root)")
    info = harness.machine()
    print(f"bench: flood, {args.rounds} rounds x {kinds}, {args.duration} s each, wrk -t1 "
          f"-c{args.connections} on /health; cap {cap} + {EXTRA} flood connections, "
          f"reconnecting at up to {args.flood_rate:g}/s; load average "
          f"{' '.join(info['loadavg_at_start'])}; results in {out}", flush=True)
    results: dict[str, list[dict]] = {k: [] for k in kinds}
    try:
        for rnd in range(1, args.rounds + 1):
            for kind in kinds:
                r = measure(kind, rnd, args, logs, cap)
                results[kind].append(r)
                print(f"  round {rnd} {kind:<10} {r['rps']:>9,.0f} req/s  p50 {r['p50_ms']:.3f} "
                      f"p99 {r['p99_ms']:.3f} ms  {r['cpu_us_per_req']:.2f} µs/req "
                      f"(cpu {r['cpu_util']:.0%})  probes {r['probes']} failed "
                      f"{r['probe_failures']} max {r['probe_max_ms'] or 0:.1f} ms  rss "
                      f"{r['at_cap_rss_mib'] or 0:.1f}/{r['peak_rss_mib']:.1f} MiB  fds "
                      f"{r['open_fds']}  closed {r['closed_by_server']}  flood {r['flood']}"
                      + (f"  ERRORS {r['errors']}" if r["errors"] else ""), flush=True)
    finally:
        harness.Server.stop_all()

    base = {k: med(results["none"], k) for k in ("rps", "p99_ms", "cpu_us_per_req")} \
        if "none" in results else {}
    label = {"none": "no flood", "idle": f"+ {cap + EXTRA} idle keep-alive",
             "silent": f"+ {cap + EXTRA} silent", "slowloris": f"+ {cap + EXTRA} slowloris"}
    table = ("| normal load (wrk -c64, /health) | req/s | p50 ms | p99 ms | CPU µs/req | "
             "/health probes: failed / worst ms | RSS at the cap / peak MiB | closed by the "
             "server |\n|---|---|---|---|---|---|---|---|")

    def rel(v, key):
        return f" ({v / base[key]:.2f}x)" if base.get(key) and v is not None and kind != "none" else ""

    for kind in kinds:
        rows = results[kind]
        rps, p99, cpu = med(rows, "rps"), med(rows, "p99_ms"), med(rows, "cpu_us_per_req")
        fails = sum(r["probe_failures"] for r in rows)
        probes = sum(r["probes"] for r in rows)
        worst = max((r["probe_max_ms"] or 0) for r in rows)
        at_cap = med(rows, "at_cap_rss_mib")
        closed = med(rows, "closed_by_server")
        table += (f"\n| {label[kind]} | {rps:,.0f}{rel(rps, 'rps')} | {med(rows, 'p50_ms'):.3f} | "
                  f"{p99:.3f}{rel(p99, 'p99_ms')} | {cpu:.2f}{rel(cpu, 'cpu_us_per_req')} | "
                  f"{fails} of {probes} / {worst:.1f} | "
                  f"{'—' if at_cap is None else f'{at_cap:.1f}'} / {med(rows, 'peak_rss_mib'):.1f} | "
                  f"{closed:,.0f} |")
    print()
    print(f"Medians of {args.rounds} rounds (probes: all rounds); ratios against no flood.")
    print()
    print(table)
    (out / "results.json").write_text(json.dumps(
        {"machine": info, "args": vars(args), "cap": cap, "rounds": results, "table": table},
        indent=2))
    (out / "table.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        harness.Server.stop_all()
