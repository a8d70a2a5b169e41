#!/usr/bin/env bash
# Profile one benchmark scenario with symbols (evidence for a missed target):
#   bash bench/profile.sh demo-health --syscalls --perf --callgrind
# Builds unstripped release binaries into target/profiling (same release profile, symbols
# kept; a separate dir so the shipped target/release stays as it is), installs perf and
# valgrind if missing, then runs bench/profile.py against those binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v perf >/dev/null || need+=(linux-perf)
command -v valgrind >/dev/null || need+=(valgrind)
command -v wrk >/dev/null || need+=(wrk)
if ((${#need[@]})); then
  echo "bench: installing Debian packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Symbols and line tables (no full debuginfo): perf/callgrind can name inlined code.
export CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
export CARGO_TARGET_DIR="$PWD/target/profiling"
nice cargo build --release --locked -p hello-hyper -p demo
exec python3 bench/profile.py --target-dir "$CARGO_TARGET_DIR" "$@"
