#!/usr/bin/env bash
# A stand-in for `docker`, put on PATH by infra/tests/first_deploy.sh while it runs the first-deploy
# commands of infra/README.md. It records every call (argv, one shell-quoted line) in
# $STANDIN_LOG and checks what a real push to ECR would need:
#   - `login --username AWS --password-stdin REGISTRY`: a non-empty password on stdin, and a
#     registry host of the form <account>.dkr.ecr.<region>.amazonaws.com;
#   - `build` / `buildx build`: --platform linux/amd64 (taskdef.json runs X86_64; a plain
#     build on an arm64 laptop makes an arm64 image), --provenance=false (one
#     single-platform image, no attestation index), a --tag in a registry it logged in to,
#     a context directory holding the Dockerfile (and the --target stage, if given);
#     with --push, it "pushes": puts a manifest under that tag into the emulated ECR
#     ($AWS_ENDPOINT_URL) with the real AWS CLI, so Terraform's image check sees it;
#   - `push TAG`: only a tag built with --load before.
# Anything else fails, naming the call. State lives in $STANDIN_STATE (a directory).
set -euo pipefail
: "${STANDIN_LOG:?STANDIN_LOG is not set}" "${STANDIN_STATE:?STANDIN_STATE is not set}"
printf '%q ' docker "$@" >>"$STANDIN_LOG"
echo >>"$STANDIN_LOG"

die() {
  echo "docker (stand-in): $*" >&2
  exit 1
}

registry_re='^([0-9]{12})\.dkr\.ecr\.([a-z]{2}(-gov)?-[a-z]+-[0-9])\.amazonaws\.com$'

push_to_ecr() { # TAG
  local ref=$1 host path tag region
  host=${ref%%/*}
  path=${ref#*/}
  tag=${path##*:}
  path=${path%:*}
  [[ $host =~ $registry_re ]] || die "push: $ref is not in an ECR registry"
  region=${BASH_REMATCH[2]}
  [ -f "$STANDIN_STATE/login-$host" ] || die "push: not logged in to $host (docker login first)"
  local config_digest manifest
  config_digest="sha256:$(printf '%s' "$ref" | sha256sum | cut -d' ' -f1)"
  manifest=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"%s"},"layers":[]}' "$config_digest")
  aws ecr put-image --region "$region" --repository-name "$path" --image-tag "$tag" \
    --image-manifest "$manifest" >/dev/null ||
    die "push: ECR refused $ref (see above)"
  echo "pushed $ref" >>"$STANDIN_LOG"
}

case "${1:-}" in
login)
  shift
  user= stdin= registry=
  while (($#)); do
    case "$1" in
    --username | -u) user=$2; shift 2 ;;
    --username=*) user=${1#*=}; shift ;;
    --password-stdin) stdin=1; shift ;;
    -*) die "login: unexpected option $1" ;;
    *) registry=$1; shift ;;
    esac
  done
  [ "$user" = AWS ] || die "login: --username must be AWS for ECR, got '$user'"
  [ -n "$stdin" ] || die "login: pass the password on stdin (--password-stdin)"
  [[ $registry =~ $registry_re ]] || die "login: '$registry' is not an ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com)"
  password=$(cat)
  [ -n "$password" ] || die "login: empty password on stdin (did aws ecr get-login-password fail?)"
  touch "$STANDIN_STATE/login-$registry"
  echo "Login Succeeded"
  ;;
build | buildx)
  if [ "$1" = buildx ]; then
    [ "${2:-}" = build ] || die "unexpected call: docker $*"
    shift
  fi
  shift
  platform= provenance= push= load= target= tags=() context=
  while (($#)); do
    case "$1" in
    --platform) platform=$2; shift 2 ;;
    --platform=*) platform=${1#*=}; shift ;;
    --provenance) provenance=$2; shift 2 ;;
    --provenance=*) provenance=${1#*=}; shift ;;
    --push) push=1; shift ;;
    --load) load=1; shift ;;
    --target) target=$2; shift 2 ;;
    --target=*) target=${1#*=}; shift ;;
    -t | --tag) tags+=("$2"); shift 2 ;;
    --tag=*) tags+=("${1#*=}"); shift ;;
    --build-arg | --label | -f | --file) shift 2 ;;
    --build-arg=* | --label=* | --file=*) shift ;;
    -*) die "build: option $1 is not expected in the first-deploy build" ;;
    *) [ -z "$context" ] || die "build: two build contexts ('$context', '$1')"; context=$1; shift ;;
    esac
  done
  [ "$platform" = linux/amd64 ] || die "build: --platform must be linux/amd64 (taskdef.json runs X86_64; got '${platform:-the host platform}')"
  [ "$provenance" = false ] || die "build: --provenance=false is missing (one single-platform image, no attestation index)"
  ((${#tags[@]})) || die "build: no --tag"
  [ -n "$context" ] && [ -f "$context/Dockerfile" ] || die "build: context '${context:-}' has no Dockerfile"
  if [ -n "$target" ]; then
    grep -Eqi "^FROM .* AS $target\$" "$context/Dockerfile" || die "build: --target $target is not a stage of $context/Dockerfile"
  fi
  [ -n "$push$load" ] || die "build: neither --push nor --load: the image would stay in the build cache"
  for tag in "${tags[@]}"; do
    if [ -n "$push" ]; then push_to_ecr "$tag"; else touch "$STANDIN_STATE/built-$(printf '%s' "$tag" | tr '/:' '__')"; fi
  done
  ;;
push)
  tag=${2:?push: no tag}
  [ -f "$STANDIN_STATE/built-$(printf '%s' "$tag" | tr '/:' '__')" ] || die "push: $tag was not built (with --load) before"
  push_to_ecr "$tag"
  ;;
*)
  die "unexpected call: docker $*"
  ;;
esac
