# Sourced by scripts/checks/container.sh and scripts/test: `demo` built as the local CodeBuild
# builds it (emulator/src/codebuild/standin.rs, build_demo: keep the two in step), so every
# build of demo on this machine shares one cache of its dependencies. A static binary, its
# dependencies optimized, the demo crate's own code at opt-level 0, no LTO, 16 codegen units:
# faster to build than the shipped image's profile (the Dockerfile, bench/image-size.sh).
#
#   local_demo_build DIR COMMIT   builds into DIR (a CARGO_TARGET_DIR), DEMO_GIT_COMMIT=COMMIT
#                                 ("" reports "unknown", as a workspace build does), holding
#                                 DIR's local-build lock until the binary is copied
#   ...                           to the path in $LOCAL_DEMO_COPY (required).
# The lock is the local builds' (standin.rs, BuiltDemo): another build in DIR must not replace
# release/demo between this build and the copy.
LOCAL_DEMO_TARGET=x86_64-unknown-linux-gnu

local_demo_build() {
  local dir="$1" commit="$2" lock bin
  : "${LOCAL_DEMO_COPY:?LOCAL_DEMO_COPY names where the binary is copied}"
  mkdir -p "$dir" "$(dirname "$LOCAL_DEMO_COPY")"
  exec {lock}>"$dir/.deployer-local-build.lock"
  flock "$lock"
  DEMO_GIT_COMMIT="$commit" RUSTFLAGS='-C target-feature=+crt-static' CARGO_TARGET_DIR="$dir" \
    cargo build --release --locked --target "$LOCAL_DEMO_TARGET" -p demo \
      --config profile.release.lto=false --config profile.release.codegen-units=16 \
      --config profile.release.incremental=true --config profile.release.package.demo.opt-level=0
  bin="$dir/$LOCAL_DEMO_TARGET/release/demo"
  cp "$bin" "$LOCAL_DEMO_COPY.tmp"
  mv "$LOCAL_DEMO_COPY.tmp" "$LOCAL_DEMO_COPY"
  flock --unlock "$lock"
  exec {lock}>&-
}
