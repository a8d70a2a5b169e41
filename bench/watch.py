#!/usr/bin/env python3
"""How soon `deployer deploy` returns after CodeDeploy completes, and at what cost in API calls.

Runs deployments against `deployer local` (Python standard library only), interleaved
between two watch modes in the same run:

- baseline: `--interval 5s`, a fixed 5 s poll (the deployer's behaviour before the adaptive watch);
- adaptive: the default (fast while the lifecycle moves, backing off in waits).

Per deployment it records the deployer's wall time, the deployment's createTime ->
completeTime (GetDeployment on the local endpoint), the lag between completeTime and the
moment `deploy` returned, and the API calls the deployer made (the stack logs every JSON
API call with RUST_LOG=api=debug; query-protocol calls, one DescribeTargetGroups per
deployment, are not logged and are left out of both modes alike).

    python3 bench/watch.py --rounds 5
    python3 bench/watch.py --deployer target/debug/deployer --demo target/debug/demo \
        --hook target/debug/bootstrap
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def sh(cmd, env=None, check=True):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if check and out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out


def api_lines(log):
    try:
        with open(log) as f:
            return [l for l in f if " api: " in l and "->" in l]
    except FileNotFoundError:
        return []


def get_deployment(api_url, deployment_id):
    req = urllib.request.Request(
        api_url,
        data=json.dumps({"deploymentId": deployment_id}).encode(),
        headers={
            "X-Amz-Target": "CodeDeploy_20141006.GetDeployment",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["deploymentInfo"]


def call(api_url, target, body):
    req = urllib.request.Request(api_url, data=json.dumps(body).encode(), headers={
        "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def api_latency(api_url, n=200):
    """p50 and p99 (ms) of `n` sequential calls of a few operations on the local endpoint."""
    calls = {
        "ECS DescribeServices": ("AmazonEC2ContainerServiceV20141113.DescribeServices",
                                 {"cluster": "demo", "services": ["demo"]}),
        "ECS ListTaskDefinitions": ("AmazonEC2ContainerServiceV20141113.ListTaskDefinitions", {}),
        "ECR DescribeImages": ("AmazonEC2ContainerRegistry_V20150921.DescribeImages",
                               {"repositoryName": "demo", "imageIds": [{"imageTag": "v1"}]}),
    }
    # A write: the task definition the service runs, registered again as a new revision
    # (the local stack persists its records before it answers a write).
    td = call(api_url, "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition",
              {"taskDefinition": "demo"})["taskDefinition"]
    for k in ("taskDefinitionArn", "revision", "status", "compatibilities", "requiresAttributes",
              "registeredAt", "registeredBy"):
        td.pop(k, None)
    calls["ECS RegisterTaskDefinition (a write)"] = (
        "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition", td)
    out = {}
    for name, (target, body) in calls.items():
        times = []
        for _ in range(n):
            req = urllib.request.Request(api_url, data=json.dumps(body).encode(), headers={
                "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=10) as r:
                r.read()
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        out[name] = (statistics.median(times), times[int(len(times) * 0.99) - 1])
    return out


def main():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--deployer", default=os.path.join(target, "debug", "deployer"))
    ap.add_argument("--demo", default=os.path.join(target, "debug", "demo"))
    # The validation hook's Lambda code: every deployment runs it (appspec.yaml's Hooks).
    ap.add_argument("--hook", default=os.path.join(target, "debug", "bootstrap"))
    ap.add_argument("--termination-wait", default="1s")
    args = ap.parse_args()
    for b in (args.deployer, args.demo, args.hook):
        if not os.access(b, os.X_OK):
            sys.exit(f"{b}: not built (cargo build -p deployer -p demo -p release-hook)")

    state = tempfile.mkdtemp(prefix="bench-watch-")
    env = dict(os.environ, RUST_LOG="info,api=debug", DEPLOYER_DEMO_BIN=args.demo,
               DEPLOYER_HOOK_BIN=args.hook)
    env.pop("DEPLOYER_POLL_INTERVAL", None)
    sh([args.deployer, "local", "up", "--detach", "--state-dir", state,
        "--api-port", "0", "--nlb-port", "0", "--test-port", "0",
        "--health-interval", "200ms", "--termination-wait", args.termination_wait], env=env)
    try:
        local = json.loads(sh([args.deployer, "--output", "json", "local", "env",
                               "--state-dir", state], env=env).stdout)
        # `local env --output json` is one event line with the variables under "variables".
        local = local.get("variables", local)
        env.update({k: str(v) for k, v in local.items()})
        api_url = local["AWS_ENDPOINT_URL"]
        log = os.path.join(state, "stack.log")
        # The local ECR holds only pushed images: each tag is pushed from the demo binary
        # (`local push --binary`: no build); a deployer without `local push` (before real
        # images) takes any tag.
        can_push = sh([args.deployer, "local", "push", "--help"], env=env,
                      check=False).returncode == 0
        modes = [("baseline (--interval 5s)", ["--interval", "5s"]), ("adaptive", [])]
        results = {name: [] for name, _ in modes}
        version = 1
        for r in range(args.rounds):
            for name, flags in modes:
                version += 1
                if can_push:
                    sh([args.deployer, "local", "push", f"v{version}", "--binary", args.demo,
                        "--state-dir", state], env=env)
                before = len(api_lines(log))
                t0 = time.time()
                out = sh([args.deployer, "--output", "json", "deploy",
                          "--image", f"demo:v{version}", *flags], env=env)
                t1 = time.time()
                calls = len(api_lines(log)) - before
                events = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
                dep = next(e["deployment_id"] for e in events
                           if "deployment_created" in (e.get("event"), e.get("type")))
                info = get_deployment(api_url, dep)
                span = info["completeTime"] - info["createTime"]
                results[name].append({"wall": t1 - t0, "span": span,
                                      "lag": t1 - info["completeTime"], "calls": calls})
                print(f"round {r + 1} {name:<26} wall {t1 - t0:5.2f}s  create->complete "
                      f"{span:5.2f}s  returned {t1 - info['completeTime']:5.2f}s after "
                      f"completeTime  {calls} API calls", flush=True)
        latency = api_latency(api_url)
    finally:
        sh([args.deployer, "local", "down", "--state-dir", state], env=env, check=False)
        shutil.rmtree(state, ignore_errors=True)

    print()
    print("| mode | wall s (median) | create->complete s | returned after completeTime s (median / max) | API calls per deployment (median) |")
    print("| --- | --- | --- | --- | --- |")
    med = {}
    for name, rs in results.items():
        m = {k: statistics.median(x[k] for x in rs) for k in ("wall", "span", "lag", "calls")}
        med[name] = m
        print(f"| {name} | {m['wall']:.2f} | {m['span']:.2f} | {m['lag']:.2f} / "
              f"{max(x['lag'] for x in rs):.2f} | {m['calls']:.0f} |")
    print()
    print("| API call (200 sequential, one connection each) | p50 ms | p99 ms |")
    print("| --- | --- | --- |")
    for name, (p50, p99) in latency.items():
        print(f"| {name} | {p50:.2f} | {p99:.2f} |")
    b, a = med[modes[0][0]], med[modes[1][0]]
    print()
    print(f"adaptive/baseline: wall {a['wall'] / b['wall']:.2f}x, API calls "
          f"{a['calls'] / b['calls']:.2f}x (target: return within 1 s of completeTime, "
          f"calls at most 2x)")
    ok = max(x["lag"] for x in results["adaptive"]) <= 1.0 and a["calls"] <= 2 * b["calls"]
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main())
