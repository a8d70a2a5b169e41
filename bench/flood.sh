#!/usr/bin/env bash
# The connection-flood benchmark, one command from a fresh clone:
#   bash bench/flood.sh [options]          e.g. --rounds 3 --duration 5, --kinds none,idle
#   bash bench/flood.sh --realtime         SCHED_FIFO 1 (root); distorts new-connection latency,
#                                          see bench/README.md, "Connection flood"
# Installs wrk if missing, builds the shipped release `demo`, then runs bench/flood.py:
# normal load on /health with and without cap + 500 idle / silent / slowloris connections
# held open beside it, interleaved over rounds, server and load on separate cores; every
# process stopped by PID. Not part of the test suite (it measures; the assertions are in
# app/tests/api/flood.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: wrk is missing; run as root or: sudo apt-get install -y wrk" >&2
    exit 1
  fi
  echo "bench: installing wrk" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
echo "bench: cargo build --release -p demo" >&2
nice cargo build --release --locked -p demo
exec python3 bench/flood.py "$@"
