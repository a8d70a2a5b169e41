#!/usr/bin/env bash
# Size of the runtime image, built the way the container test builds it
# (scripts/checks/container.sh): `demo` static on the host, then the Dockerfile's
# `runtime` stage (FROM scratch) with podman and `--build-context builder=DIR`, no pull.
# Prints `IMAGE_SIZE_BYTES=<n>` (podman's image size) and `IMAGE_TAR_BYTES=<n>` (the image
# saved as a docker-archive, what a registry stores uncompressed). Everything runs in a
# private podman store under a temporary directory, removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in podman runc; do
  command -v "$tool" >/dev/null || { echo "image-size: $tool is missing: run bash scripts/setup" >&2; exit 1; }
done
TARGET=x86_64-unknown-linux-gnu
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-image.XXXXXX")
PODMAN=(podman --root "$work/storage" --runroot "$work/run" --storage-driver vfs
        --runtime runc --cgroup-manager cgroupfs --events-backend file)
cleanup() { "${PODMAN[@]}" rmi --all --force >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

RUSTFLAGS='-C target-feature=+crt-static' nice cargo build --release --locked --target "$TARGET" -p demo >&2
mkdir -p "$work/builder/out"
cp "target/$TARGET/release/demo" "$work/builder/out/demo"
image=localhost/demo:bench
timeout 300 "${PODMAN[@]}" build --quiet --pull=never --format docker --target runtime \
  --build-context builder="$work/builder" --tag "$image" --file Dockerfile . >/dev/null
echo "IMAGE_SIZE_BYTES=$("${PODMAN[@]}" image inspect "$image" --format '{{.Size}}')"
timeout 120 "${PODMAN[@]}" save --quiet --format docker-archive --output "$work/image.tar" "$image"
echo "IMAGE_TAR_BYTES=$(stat -c %s "$work/image.tar")"
