#!/usr/bin/env bash
# Soak of `deployer dashboard` (not part of CI): a local stack, the dashboard with
# its probe on, the page open in headless Chromium, and a deployment every SOAK_EVERY
# seconds for SOAK_SECONDS (default: 20 s for 10 minutes; every 5th release fails its health
# checks and is rolled back). Every SOAK_EVERY seconds it samples the dashboard's memory
# (VmRSS, VmHWM), its open file descriptors, its TCP connections to the local AWS API and
# the browser's connections to it, then prints the table and the last/first ratios.
#
#   bash bench/dashboard-soak.sh                       # 10 minutes
#   SOAK_SECONDS=120 bash bench/dashboard-soak.sh      # a quick look
#
# Needs: chromium (apt-get install chromium), ss (iproute2). Everything on 127.0.0.1;
# every process it starts is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_EVERY=${SOAK_EVERY:-20}
command -v chromium >/dev/null || { echo "dashboard-soak: chromium not found: apt-get install chromium" >&2; exit 2; }
command -v ss >/dev/null || { echo "dashboard-soak: ss not found: apt-get install iproute2" >&2; exit 2; }

echo "== building demo and deployer (debug, as the tests use them)" >&2
cargo build --quiet -p demo -p deployer
target="${CARGO_TARGET_DIR:-$PWD/target}"
work="$(mktemp -d /tmp/dashboard-soak.XXXXXX)"
# Copies: a build during the soak must not swap the binaries under it.
mkdir "$work/bin"
cp "$target/debug/deployer" "$target/debug/demo" "$work/bin/"
deployer="$work/bin/deployer"
export DEPLOYER_DEMO_BIN="$work/bin/demo"
export DEPLOYER_LOCAL_STATE_DIR="$work/state"
dash_pid="" chrome_pid=""
cleanup() {
  [ -n "$chrome_pid" ] && kill -KILL -- "-$chrome_pid" 2>/dev/null || true
  [ -n "$dash_pid" ] && { kill "$dash_pid" 2>/dev/null || true; wait "$dash_pid" 2>/dev/null || true; }
  "$deployer" local down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$deployer" local up --detach --api-port 0 --nlb-port 0 --test-port 0 --tasks 2 \
  --health-interval 200ms --termination-wait 1s >&2
eval "$("$deployer" local env)"
api_port=$(sed -E 's#.*:([0-9]+)/?$#\1#' <<<"$AWS_ENDPOINT_URL")

"$deployer" dashboard --port 0 >"$work/dash.out" 2>"$work/dash.log" &
dash_pid=$!
for _ in $(seq 100); do grep -q '^dashboard: ' "$work/dash.out" && break; sleep 0.1; done
url=$(sed -n 's/^dashboard: //p' "$work/dash.out")
[ -n "$url" ] || { echo "dashboard-soak: the dashboard printed no URL" >&2; cat "$work/dash.log" >&2; exit 1; }
dash_port=$(sed -E 's#http://127.0.0.1:([0-9]+)/.*#\1#' <<<"$url")
echo "== dashboard $url (pid $dash_pid), API :$api_port" >&2

setsid chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --no-first-run --disable-background-networking --user-data-dir="$work/chrome" \
  "$url" >/dev/null 2>&1 &
chrome_pid=$!
disown "$chrome_pid"

sample() {  # elapsed deployments -> one table row
  local rss hwm fds api conns
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$dash_pid/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$dash_pid/status")
  fds=$(ls "/proc/$dash_pid/fd" | wc -l)
  api=$(ss -Htnp state established "( dport = :$api_port )" | grep -c "pid=$dash_pid," || true)
  conns=$(ss -Htn state established "( sport = :$dash_port )" | wc -l)
  printf '%6s %5s %9s %9s %5s %5s %6s\n' "$1" "$2" "$rss" "$hwm" "$fds" "$api" "$conns"
}

echo "== soak: ${SOAK_SECONDS}s, a deployment every ${SOAK_EVERY}s" >&2
rows="$work/rows"
printf '%6s %5s %9s %9s %5s %5s %6s\n' "t(s)" "deps" "rss(kB)" "hwm(kB)" "fds" "api" "conns" | tee "$rows.head"
sleep 5
start=$(date +%s)
n=0 ok=0 failed=0 rolled=0
while :; do
  now=$(($(date +%s) - start))
  [ "$now" -ge "$SOAK_SECONDS" ] && break
  sample "$now" "$n" | tee -a "$rows"
  n=$((n + 1))
  if [ $((n % 5)) -eq 0 ]; then
    args=(--image "demo:soak$n" --env DEMO_FAIL_HEALTH=1)
  else
    args=(--image "demo:soak$n")
  fi
  set +e
  timeout $((SOAK_EVERY - 2)) "$deployer" deploy "${args[@]}" >"$work/deploy.log" 2>&1
  code=$?
  set -e
  case "$code" in
    0) ok=$((ok + 1)) ;;
    3) failed=$((failed + 1)) ;;
    4) rolled=$((rolled + 1)) ;;
    *) echo "deploy $n exited $code:" >&2; tail -5 "$work/deploy.log" >&2 ;;
  esac
  next=$(( (n * SOAK_EVERY) ))
  left=$(( next - ($(date +%s) - start) ))
  [ "$left" -gt 0 ] && sleep "$left"
done
sample "$(($(date +%s) - start))" "$n" | tee -a "$rows"

echo
echo "deployments: $n ($ok succeeded, $failed failed and rolled back, $rolled stopped)"
awk 'NR == 2 { r0 = $3; f0 = $5; a0 = $6 }            # first sample after the first deployment
     { r = $3; f = $5; a = $6; if ($6 > amax) amax = $6; if ($3 > rmax) rmax = $3; p = $7 }
     END {
       printf "memory (VmRSS): first %d kB, last %d kB, max %d kB: last/first %.2f\n", r0, r, rmax, r / r0
       printf "open fds: first %d, last %d: last/first %.2f\n", f0, f, f / f0
       printf "connections to the API: first %d, last %d, max %d\n", a0, a, amax
       printf "browser connections to the dashboard at the end: %d (the page: its event stream and its keep-alive)\n", p
     }' "$rows"
