#!/usr/bin/env bash
# Container test of the runtime image, offline, with a real engine (podman + runc):
#   1. builds `demo` as a static binary on the host (the one release build of this test);
#   2. builds the Dockerfile's `runtime` stage with `--build-context builder=DIR`, so the
#      binary comes from DIR/out/demo and no base image is pulled (the stage is FROM scratch);
#   3. runs it like ECS does (read-only root, all capabilities dropped, port published on
#      127.0.0.1 only) and checks: the process runs as a non-root uid; the engine runs the
#      image's own HEALTHCHECK and records "healthy"; GET / answers through the published
#      port; SIGTERM stops it with exit code 0 within a few seconds;
#   4. a second container with DEMO_FAIL_HEALTH=1 must be recorded "unhealthy" (the check
#      can fail).
# podman has no health-check scheduler without systemd: this test triggers the image's
# health check with `podman healthcheck run` (what podman's systemd timer runs), and reads
# the status the engine recorded. Everything runs in a private podman store under a
# temporary directory; the trap removes every container this script started, by id.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "container.sh: FAIL: $*" >&2; exit 1; }
for tool in podman runc curl python3 ldd flock; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run bash scripts/setup (Debian packages podman runc uidmap)"
done

. scripts/lib/local-demo.sh
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' app/Cargo.toml | head -n 1)
STOP_BOUND_SECS=5

work=$(mktemp -d "${TMPDIR:-/tmp}/demo-container.XXXXXX")
PODMAN=(podman --root "$work/storage" --runroot "$work/run" --storage-driver vfs
        --runtime runc --cgroup-manager cgroupfs --events-backend file)
containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do
    "${PODMAN[@]}" rm --force --time 0 "$c" >/dev/null 2>&1 || true
  done
  "${PODMAN[@]}" rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== static release build of demo (commit $COMMIT)"
t0=$(date +%s)
# A faster profile than the shipped image's (scripts/lib/local-demo.sh: no LTO, the demo
# crate's own code unoptimized): this check is about how the image runs (user, health check,
# signals), not how fast; the shipped profile is built and measured by bench/image-size.sh and
# the Dockerfile. The flags and the target directory are the local CodeBuild's, in the tests'
# shared build cache, so the tests' local builds reuse this build of demo's dependencies.
mkdir -p "$work/builder/out"
bin="$work/builder/out/demo"
LOCAL_DEMO_COPY="$bin" local_demo_build "${CARGO_TARGET_DIR:-target}/local-codebuild" "$COMMIT"
ldd "$bin" 2>&1 | grep -Eq "statically linked|not a dynamic executable" \
  || fail "$bin is not static: $(ldd "$bin" 2>&1 | head -n 3)"
echo "built in $(( $(date +%s) - t0 )) s: $bin ($(stat -c %s "$bin") bytes, static)"

echo "== podman build --target runtime (binary from the host, no pull)"
image=localhost/demo:container-test
t0=$(date +%s)
"${PODMAN[@]}" build --quiet --pull=never --format docker --target runtime \
  --build-context builder="$work/builder" \
  --build-arg GIT_COMMIT="$COMMIT" --build-arg VERSION="$VERSION" \
  --tag "$image" --file Dockerfile . >/dev/null
echo "image built in $(( $(date +%s) - t0 )) s, $("${PODMAN[@]}" image inspect "$image" --format '{{.Size}}') bytes"

config=$("${PODMAN[@]}" image inspect "$image" --format '{{json .Config}}')
healthcheck=$("${PODMAN[@]}" image inspect "$image" --format '{{json .HealthCheck}}')
python3 - "$config" "$healthcheck" "$COMMIT" "$VERSION" <<'EOF' || fail "image config (above)"
import json, sys
c, commit, version = json.loads(sys.argv[1]), sys.argv[3], sys.argv[4]
c["Healthcheck"] = json.loads(sys.argv[2]) or {}
checks = {
    "User": (c.get("User"), "65532:65532"),
    "Entrypoint": (c.get("Entrypoint"), ["/demo"]),
    "Cmd": (c.get("Cmd"), ["serve"]),
    "ExposedPorts": (sorted((c.get("ExposedPorts") or {}).keys()), ["3000/tcp"]),
    "Healthcheck.Test": ((c.get("Healthcheck") or {}).get("Test"), ["CMD", "/demo", "healthcheck"]),
    "label revision": ((c.get("Labels") or {}).get("org.opencontainers.image.revision"), commit),
    "label version": ((c.get("Labels") or {}).get("org.opencontainers.image.version"), version),
}
bad = {k: v for k, v in checks.items() if v[0] != v[1]}
for k, (got, want) in bad.items():
    print(f"image config {k}: got {got!r}, want {want!r}", file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
echo "image config ok: user 65532:65532, entrypoint /demo, HEALTHCHECK /demo healthcheck, port 3000/tcp, labels"

run() {  # run NAME [podman run options...] -> container id
  local name=$1; shift
  local id
  id=$("${PODMAN[@]}" run --detach --name "$name-$$" \
        --read-only --cap-drop ALL --security-opt no-new-privileges \
        --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
        --publish 127.0.0.1::3000 "$@" "$image" 2>"$work/$name.err") \
    || fail "podman run $name: $(cat "$work/$name.err")"
  containers+=("$id")
  # Without systemd podman cannot schedule health checks and says so; expected here.
  grep -v "unable to get systemd connection" "$work/$name.err" >&2 || true
  echo "$id"
}
health_status() {
  "${PODMAN[@]}" inspect "$1" --format '{{.State.Health.Status}}' 2>/dev/null \
    || "${PODMAN[@]}" inspect "$1" --format '{{.State.Healthcheck.Status}}'
}

echo "== run"
cid=$(run demo-ok)
pid=$("${PODMAN[@]}" inspect "$cid" --format '{{.State.Pid}}')
[ "$pid" -gt 0 ] || fail "container is not running: $("${PODMAN[@]}" logs "$cid" 2>&1 | tail -n 5)"
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
[ "$uids" = "65532 65532 65532 65532" ] || fail "the service runs with uids '$uids', expected 65532 (non-root)"
echo "process $pid runs as uid 65532 (real, effective, saved, fs)"

healthy=""
for _ in $(seq 1 40); do  # bounded: 40 x 0.25 s
  if "${PODMAN[@]}" healthcheck run "$cid" >/dev/null 2>&1; then healthy=yes; break; fi
  sleep 0.25
done
status=$(health_status "$cid")
[ -n "$healthy" ] && [ "$status" = healthy ] \
  || fail "engine health status '$status' (logs: $("${PODMAN[@]}" logs "$cid" 2>&1 | tail -n 5))"
echo "engine reports: $status (the image's HEALTHCHECK, run by podman)"

hostport=$("${PODMAN[@]}" port "$cid" 3000/tcp | head -n 1)
[[ "$hostport" == 127.0.0.1:* ]] || fail "port 3000 is published on '$hostport', expected 127.0.0.1 only"
body=$(curl -fsS --max-time 5 -H 'Accept: application/json' "http://$hostport/") \
  || fail "GET http://$hostport/ failed"
python3 - "$body" "$COMMIT" <<'EOF' || fail "GET / answered: $body"
import json, sys
b = json.loads(sys.argv[1])
assert b["service"] == "demo", b
assert b["commit"] == sys.argv[2], b
EOF
text=$(curl -fsS --max-time 5 "http://$hostport/")
[[ "$text" == *"version "* ]] || fail "GET / (text) answered: $text"
echo "GET http://$hostport/ -> $text"

echo "== SIGTERM"
t0=$(date +%s%N)
"${PODMAN[@]}" kill --signal TERM "$cid" >/dev/null
code=$(timeout 15 "${PODMAN[@]}" wait "$cid") || fail "still running 15 s after SIGTERM"
wait_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$code" = 0 ] || fail "exit code $code after SIGTERM, expected 0 (logs: $("${PODMAN[@]}" logs "$cid" 2>&1 | tail -n 5))"
# When the process ended, as the engine recorded it (podman wait itself polls).
finished=$("${PODMAN[@]}" inspect "$cid" --format '{{.State.FinishedAt}}')
finished_ns=$(date -d "${finished% UTC}" +%s%N) || fail "cannot read FinishedAt '$finished'"
ms=$(( (finished_ns - t0) / 1000000 ))
[ "$ms" -le $((STOP_BOUND_SECS * 1000)) ] || fail "exited $ms ms after SIGTERM (bound ${STOP_BOUND_SECS}s)"
echo "exited with code 0, $ms ms after SIGTERM (podman wait returned after $wait_ms ms)"

echo "== negative control: DEMO_FAIL_HEALTH=1 must be unhealthy"
bad=$(run demo-failing --env DEMO_FAIL_HEALTH=1 --health-start-period 0s)
status=""
for _ in $(seq 1 40); do  # bounded: the image's retries (3) consecutive failures
  "${PODMAN[@]}" healthcheck run "$bad" >/dev/null 2>&1 && fail "health check passed with DEMO_FAIL_HEALTH=1"
  status=$(health_status "$bad")
  [ "$status" = unhealthy ] && break
  sleep 0.25
done
[ "$status" = unhealthy ] || fail "engine health status '$status' with DEMO_FAIL_HEALTH=1, expected unhealthy"
echo "engine reports: unhealthy"

echo "container.sh: ok"
