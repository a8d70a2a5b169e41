#!/usr/bin/env bash
# The performance benchmark, one command from a fresh clone:
#   bash bench/run.sh [harness options]     e.g. --rounds 3 --duration 3, --only hyper,demo-health
# Installs what is missing (wrk from Debian, Node.js if absent, the Express peer with npm ci),
# builds the release binaries once, then runs bench/harness.py, which starts every server
# itself, pins it to CPU 0 with wrk on CPU 1, interleaves the servers over several rounds,
# stops each by PID (also on failure or Ctrl-C) and prints the table of medians and ratios.
# Not part of the test suite: it measures, it does not assert (use --strict to exit 3 on a
# missed target).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: missing Debian packages: $*; run as root or: sudo apt-get install -y $*" >&2
    exit 1
  fi
  echo "bench: installing Debian packages: $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v strip >/dev/null || need+=(binutils)
command -v python3 >/dev/null || need+=(python3)
command -v valgrind >/dev/null || need+=(valgrind)   # instructions per request (callgrind)
command -v haproxy >/dev/null || need+=(haproxy)     # the reference proxy in the local NLB figures
if ((${#need[@]})); then apt_install "${need[@]}"; fi

if [ ! -f bench/peers/node_modules/express/package.json ]; then
  echo "bench: installing the Node/Express peer (npm ci, bench/peers/package-lock.json)" >&2
  (cd bench/peers && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
fi

# Release builds of the servers and of the deployer (its `local` NLB is measured too;
# the workspace's release profile: fat LTO, stripped); no-ops when up to date. Two cargo
# runs, not one: built together, `demo` would get the features the deployer's
# dependencies switch on in shared crates (Cargo unifies features within one build),
# i.e. not the binary the Dockerfile ships (`-p demo` alone). `nice` leaves room for
# whoever else uses the machine.
echo "bench: cargo build --release -p hello-hyper -p demo; then -p deployer (not with --no-nlb)" >&2
nice cargo build --release --locked -p hello-hyper -p demo
case " $* " in
  *" --no-nlb "*) ;;  # the deployer (a long first build: the AWS SDK) only runs the NLB figures
  *) nice cargo build --release --locked -p deployer ;;
esac

exec python3 bench/harness.py "$@"
