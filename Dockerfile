# Container image of the `demo` service, and of its CodeDeploy validation hook.
#
# Stages: chef (Rust toolchain + cargo-chef) -> planner (dependency recipe) -> builder
# (dependency layer, then the static `demo` binary at /out/demo) -> runtime (FROM
# scratch: that one binary, non-root). The hook: chef + planner -> hook-builder (the static
# `bootstrap` of crate hook/) -> hook (FROM scratch: `bootstrap` and the CA bundle, the
# Lambda function `demo-validate`, infra/hook.tf).
#
# CodeBuild builds every stage (buildspec.yml). Offline CI builds only `runtime`
# (scripts/checks/container.sh): it passes `--build-context builder=DIR`, where
# DIR/out/demo is a static binary built on the host, so no base image is pulled.

# The official rust image through ECR Public (no Docker Hub pull-rate limits in CodeBuild),
# pinned by digest: the tag is for people, the digest is what is pulled (docker verifies the
# content against it). Refreshing it: infra/README.md, "Image pins".
FROM public.ecr.aws/docker/library/rust:1.95.0-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082 AS chef
RUN cargo install cargo-chef --locked --version 0.1.78 \
    && rm -rf "${CARGO_HOME}/registry" "${CARGO_HOME}/git"
WORKDIR /src
# Fully static (glibc, crt-static) so the runtime stage needs no libc. Passing --target
# keeps build scripts and proc macros on the host's normal linking.
ENV RUSTFLAGS="-C target-feature=+crt-static" \
    CARGO_TERM_COLOR=never

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# Dependencies only: this layer is reused until Cargo.lock or a manifest changes.
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --target x86_64-unknown-linux-gnu -p demo \
    --recipe-path recipe.json
COPY . .
# The commit the service reports (GET /); only the layers below depend on it.
ARG GIT_COMMIT=unknown
RUN DEMO_GIT_COMMIT="${GIT_COMMIT}" \
    cargo build --release --locked --target x86_64-unknown-linux-gnu -p demo \
    && mkdir -p /out \
    && cp target/x86_64-unknown-linux-gnu/release/demo /out/demo

# ---------------------------------------------------------------- the validation hook
# A Lambda function packaged as a container image with a custom runtime: the image must
# implement the Lambda Runtime API itself (lambda_runtime does, in `bootstrap`) and be
# linux/amd64 or arm64, one platform (infra/README.md, "The validation hook").
FROM chef AS hook-builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --target x86_64-unknown-linux-gnu -p release-hook \
    --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-gnu -p release-hook \
    && mkdir -p /out \
    && cp target/x86_64-unknown-linux-gnu/release/bootstrap /out/bootstrap

FROM scratch AS hook
ARG GIT_COMMIT=unknown
LABEL org.opencontainers.image.title="demo-validate" \
      org.opencontainers.image.description="CodeDeploy AfterAllowTestTraffic validation hook of the demo service (Lambda, custom runtime)" \
      org.opencontainers.image.source="https://github.com/example/codepipeline-bluegreen-demo" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.licenses="Apache-2.0"
# The AWS SDK's TLS trusts the system's roots (rustls-native-certs), which scratch lacks: the
# Debian bundle of the builder, where OpenSSL's default path expects it.
COPY --from=hook-builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=hook-builder /out/bootstrap /bootstrap
USER 65532:65532
ENTRYPOINT ["/bootstrap"]

# ---------------------------------------------------------------- the service (last: the default target)
FROM scratch AS runtime
ARG GIT_COMMIT=unknown
ARG VERSION=unknown
LABEL org.opencontainers.image.title="demo" \
      org.opencontainers.image.description="The demo service shipped by the CodeDeploy blue/green pipeline" \
      org.opencontainers.image.source="https://github.com/example/codepipeline-bluegreen-demo" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/demo /demo
# No /etc/passwd in scratch: a numeric, unprivileged uid:gid (as taskdef.json's "user").
USER 65532:65532
EXPOSE 3000
# No shell and no curl in the image: the binary probes its own /health.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/demo", "healthcheck"]
ENTRYPOINT ["/demo"]
CMD ["serve"]

