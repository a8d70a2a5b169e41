#!/usr/bin/env bash
# Build and test times of `bash scripts/test`, the figures a developer and CI live with:
# a cold run from a fresh clone (empty target dir), then a warm rerun after a one-line
# change in the CLI crate (deployer/src/main.rs), then one after a one-line change in the
# emulator (emulator/src/lib.rs, or deployer/src/local/mod.rs before the emulator had a
# crate of its own). With --base REV the same three runs are made for REV first, in the
# same session, and the ratios printed against it.
#
#   bash bench/build-times.sh                 # HEAD only (three runs: ~15-25 minutes here)
#   bash bench/build-times.sh --base 3cbe4d8  # REV, then HEAD (twice as long)
#
# Each run is a clone under a temporary directory with its own target dir (shared
# nothing), run as CI runs it (CI=true). The machine should be otherwise quiet: the
# figures are wall-clock seconds. Results also go to bench/results/build-times-<time>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
base=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="$2"; shift 2 ;;
    *) echo "usage: bash bench/build-times.sh [--base REV]" >&2; exit 2 ;;
  esac
done
[ -z "$base" ] || git rev-parse --verify -q "$base^{commit}" >/dev/null \
  || { echo "build-times: --base $base is not a commit here" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/build-times.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p bench/results
out="bench/results/build-times-$(date -u +%Y%m%dT%H%M%SZ).txt"

# One timed `bash scripts/test` in $1; prints the seconds; its log goes next to it.
timed_test() {
  local dir="$1" name="$2" t0 status
  t0=$SECONDS
  set +e
  (cd "$dir" && CI=true bash scripts/test >"$work/$name.log" 2>&1)
  status=$?
  set -e
  [ "$status" -eq 0 ] || { echo "build-times: $name failed (exit $status); log: $work/$name.log" >&2; tail -30 "$work/$name.log" >&2; trap - EXIT; exit 1; }
  echo $((SECONDS - t0))
}

# The three runs for one revision: "cold warm_cli warm_emulator".
measure() {
  local rev="$1" dir="$work/$1"
  git clone -q --no-local "$repo" "$dir"
  git -C "$dir" checkout -q "$rev"
  local cold cli emu emu_file
  cold=$(timed_test "$dir" "$rev-cold")
  echo "// one-line change (bench/build-times.sh)" >> "$dir/deployer/src/main.rs"
  cli=$(timed_test "$dir" "$rev-cli")
  emu_file="$dir/emulator/src/lib.rs"
  [ -f "$emu_file" ] || emu_file="$dir/deployer/src/local/mod.rs"
  echo "// one-line change (bench/build-times.sh)" >> "$emu_file"
  emu=$(timed_test "$dir" "$rev-emu")
  echo "$cold $cli $emu"
}

head_rev=$(git rev-parse --short HEAD)
{
  echo "bash scripts/test, wall seconds (CI=true; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ))"
  if [ -n "$base" ]; then
    read -r bc bl be <<<"$(measure "$base")"
  fi
  read -r hc hl he <<<"$(measure "$head_rev")"
  printf '%-32s %10s %10s %10s\n' "" "cold" "warm CLI" "warm emu"
  [ -z "$base" ] || printf '%-32s %10.0f %10.0f %10.0f\n' "base $base" "$bc" "$bl" "$be"
  printf '%-32s %10.0f %10.0f %10.0f\n' "HEAD $head_rev" "$hc" "$hl" "$he"
  if [ -n "$base" ]; then
    awk -v a="$hc/$bc" -v b="$hl/$bl" -v c="$he/$be" 'BEGIN { split(a, x, "/"); split(b, y, "/"); split(c, z, "/");
      printf "%-32s %10.2f %10.2f %10.2f\n", "HEAD / base", x[1] / x[2], y[1] / y[2], z[1] / z[2] }'
  fi
} | tee "$out"
