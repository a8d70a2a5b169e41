#!/usr/bin/env bash
# Push to deploy on one machine: from `git push` to the new version serving
# through the local NLB, with the time of each stage, against a baseline measured in the
# same run: `deployer deploy` of an already built image (the same blue/green, no build).
#   bash bench/pipeline.sh [ROUNDS]      (default 2 rounds after one warm-up push)
# Target: push -> serving <= 90 s on the project's 2-vCPU machine with a warm build cache.
# The warm-up push fills the shared cargo target dir (DEPLOYER_LOCAL_BUILD_TARGET_DIR,
# default ~/.cache/deployer/local-codebuild) and is reported apart (cold or warm, as found).
# Everything it starts is stopped at the end (deployer local down, by the stack's own PIDs).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-2}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bash bench/pipeline.sh [ROUNDS>=1]" >&2; exit 2; }
for tool in git curl python3 cargo; do
  command -v "$tool" >/dev/null || { echo "bench/pipeline.sh: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done

echo "== building demo and deployer (debug, as scripts/demo)" >&2
cargo build --quiet -p demo -p deployer
target="${CARGO_TARGET_DIR:-$PWD/target}"
deployer="$target/debug/deployer"
export DEPLOYER_DEMO_BIN="$target/debug/demo"
tmp="$(mktemp -d)"
export DEPLOYER_LOCAL_STATE_DIR="$tmp/state"
cleanup() {
  "$deployer" local down >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cat >"$tmp/stages.py" <<'EOF'
import datetime, json, sys
commit, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
s = json.load(sys.stdin)
e = next(x for x in s["executions"] if x["commit"] == commit)
def ts(v):
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
d = {a["stage"]: ts(a["updated"]) - ts(a["started"]) for a in e["actions"]}
# The Deploy action runs on after the switch (termination wait): time it to serving.
d["Deploy"] = t1 - next(ts(a["started"]) for a in e["actions"] if a["stage"] == "Deploy")
print(f"{t1 - t0:.1f} {d.get('Source', 0):.1f} {d.get('Build', 0):.1f} {d.get('Deploy', 0):.1f}")
EOF

"$deployer" local up --detach --api-port 0 --nlb-port 0 --test-port 0 --tasks 2 --health-interval 1s --termination-wait 1s >/dev/null
eval "$("$deployer" local env)"

# A throwaway repository with the workspace's tracked files as they are on disk.
work="$tmp/work"
mkdir -p "$work"
git ls-files -z | xargs -0 -I{} cp --parents {} "$work/" 2>/dev/null || true
(
  cd "$work"
  git init -q -b main .
  git add -A
  git -c user.name=bench -c user.email=bench@example.com commit -qm "bench: the workspace"
  git remote add local "$DEPLOYER_LOCAL_GIT_REMOTE"
)

now() { python3 -c 'import time; print(f"{time.time():.3f}")'; }
served_commit() {
  curl -fsS --max-time 2 -H 'Accept: application/json' "$DEPLOYER_LOCAL_NLB_URL/" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin).get("commit",""))' 2>/dev/null || true
}
# Pushes HEAD of $work; prints seconds: push -> serving, Source, Build, Deploy start -> serving.
push_and_time() {
  local commit t0 t1 deadline
  commit="$(git -C "$work" rev-parse HEAD)"
  t0="$(now)"
  git -C "$work" push -q local main 2>/dev/null
  deadline=$((SECONDS + 900))
  until [ "$(served_commit)" = "$commit" ]; do
    if ((SECONDS > deadline)); then echo "bench: $commit was not serving within 900 s" >&2; "$deployer" pipeline status >&2 || true; exit 1; fi
    sleep 0.2
  done
  t1="$(now)"
  "$deployer" --output json pipeline status --executions 5 | python3 "$tmp/stages.py" "$commit" "$t0" "$t1"
}
change() {
  printf '\n// bench round %s\n' "$1" >> "$work/app/src/main.rs"
  git -C "$work" -c user.name=bench -c user.email=bench@example.com commit -qam "bench: round $1"
}

echo "== warm-up push (fills the build cache if it is cold)" >&2
read -r w_total w_src w_build w_deploy <<<"$(push_and_time)"
printf 'warm-up: push -> serving %6.1f s (Source %.1f, Build %.1f, Deploy to serving %.1f)\n' "$w_total" "$w_src" "$w_build" "$w_deploy"

totals=(); builds=(); deploys=(); manual=()
for r in $(seq "$rounds"); do
  change "$r"
  read -r total src build deploy <<<"$(push_and_time)"
  # Baseline: the same blue/green through `deployer deploy` of an image that exists.
  t0="$(now)"
  "$deployer" deploy --image "demo:bench-$r" >/dev/null 2>&1
  t1="$(now)"
  m="$(python3 -c "print(f'{$t1 - $t0:.1f}')")"
  printf 'round %d: push -> serving %6.1f s (Source %.1f, Build %.1f, Deploy to serving %.1f); deployer deploy alone %.1f s\n' \
    "$r" "$total" "$src" "$build" "$deploy" "$m"
  totals+=("$total"); builds+=("$build"); deploys+=("$deploy"); manual+=("$m")
done
python3 - "${totals[*]}" "${builds[*]}" "${deploys[*]}" "${manual[*]}" <<'EOF'
import statistics, sys
t, b, d, m = ([float(x) for x in a.split()] for a in sys.argv[1:5])
mt, mb, md, mm = (statistics.median(x) for x in (t, b, d, m))
print(f"median over {len(t)} warm rounds: push -> serving {mt:.1f} s (target <= 90 s: {'met' if mt <= 90 else 'MISSED'}); "
      f"Build {mb:.1f} s, Deploy to serving {md:.1f} s; deployer deploy alone {mm:.1f} s (pipeline / deploy = {mt / mm:.2f}x)")
EOF
