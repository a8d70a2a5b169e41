#!/usr/bin/env bash
# Checks of infra/, offline, run by scripts/test:
#   1. terraform fmt -check -recursive, init -backend=false (provider from the offline mirror,
#      lock file read-only) and validate, with the CLI config the project ships
#      (infra/offline.tfrc);
#   2. checkov -d infra (every skip carries its reason inline);
#   3. against a moto server on 127.0.0.1 (started here, stopped by PID on any exit):
#      - terraform plan with every optional part on (NAT, VPC endpoints, test listener):
#        completes and creates every resource of the configuration;
#      - terraform plan with the defaults: complete, tasks in public subnets with a public IP;
#      - terraform plan with tls_certificate_arn: the production listener is TLS on 443, the
#        targets unchanged; the defaults: TCP 80, flow logs REJECT;
#      - terraform plan with wrong inputs: each is rejected with its message;
#   4. infra/tests/first_deploy.sh (in the background from the start, with its own
#      moto): infra/README.md's first-deploy commands as written, with a stand-in docker,
#      up to the full apply; its state feeds 5 and 6;
#   5. infra/tests/check_plan.py: the planned and applied values agree with taskdef.json,
#      appspec.yaml, the app's default port and docs/CONTRACTS.md;
#   6. infra/tests/check_iam.py: least privilege of every IAM policy in infra/ (HCL), the
#      documented trust conditions, the removed grants, the scope decisions, and parliament's
#      lint of the policies moto holds.
# Nothing is written into infra/: state, plans, .terraform and the moto log live in a
# throwaway directory under .tmp/ (kept only with KEEP_INFRA_TMP=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
export PATH="$repo/.venv/bin:$PATH"

fail() { echo "infra check: $*" >&2; exit 1; }
step() { printf '%s infra: %s\n' "$(date +%T)" "$*"; }

# ---------------------------------------------------------------- tools
mirror_root=/opt/tf-plugins
command -v terraform >/dev/null || fail "terraform is not on PATH (it comes with the machine image; see docs of scripts/setup)"
compgen -G "$mirror_root/registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws*" >/dev/null ||
  fail "no hashicorp/aws provider in the offline mirror $mirror_root (infra/offline.tfrc points there)"
command -v checkov >/dev/null || fail "checkov is missing: run scripts/setup (installs it into .venv)"
command -v moto_server >/dev/null || fail "moto_server is missing: run scripts/setup (installs moto[server] into .venv)"
command -v ss >/dev/null || fail "ss is missing: run scripts/setup (installs iproute2)"
command -v curl >/dev/null || fail "curl is missing: apt-get install curl"
command -v setsid >/dev/null || fail "setsid is missing: apt-get install util-linux"
python3 -c 'import yaml, hcl2, parliament' 2>/dev/null ||
  fail "python modules yaml, hcl2 (from checkov) and parliament are missing: run scripts/setup"

export TF_CLI_CONFIG_FILE="$repo/infra/offline.tfrc"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
unset TF_WORKSPACE TF_CLI_ARGS TF_CLI_ARGS_plan TF_CLI_ARGS_apply

# ---------------------------------------------------------------- a rerun with the same inputs
# What this check reads: infra/, the root templates, docs/CONTRACTS.md, the app's sources (its
# default port), this script, and the tools. The other crates are not among them, so a
# developer's rerun of scripts/test after a change there (the CLI, the emulator) need not
# spend the ~130 s of CPU of terraform, moto and checkov again: when a run with the same
# inputs passed on this machine, its stamp (the inputs' hash, under .tmp/) says so and the
# check ends here, saying it. A fresh clone (CI) has no stamp. INFRA_CHECK_FORCE=1 runs it.
inputs_hash() {
  {
    git ls-files -z --cached --others --exclude-standard -- . ':!deployer' ':!emulator' \
        ':!models' ':!browser-tests' ':!checks' ':!hook' ':!loopback' ':!bench' \
      | sort -z | xargs -0 -r sha256sum 2>&1
    terraform version
    python3 --version
    ls .venv/.setup-* 2>&1
    find "$mirror_root" -name 'terraform-provider-*' 2>&1 | sort
  } | sha256sum | cut -c1-32
}
mkdir -p .tmp/infra-check-passed
stamp=".tmp/infra-check-passed/$(inputs_hash)"
if [ -e "$stamp" ] && [ "${INFRA_CHECK_FORCE:-}" != 1 ]; then
  step "inputs unchanged since the run that passed at $(date -r "$stamp" '+%F %T') ($stamp): not run again (INFRA_CHECK_FORCE=1 runs it)"
  exit 0
fi

work=$(mktemp -d "$repo/.tmp/infra-check.XXXXXX")
pids=()
first_deploy_pid=
cleanup() {
  local rc=$?
  # first_deploy.sh runs in its own process group (setsid, below): stop the whole group,
  # its terraform and its moto included; its own trap stops moto by PID as well.
  if [ -n "$first_deploy_pid" ] && kill -0 "$first_deploy_pid" 2>/dev/null; then
    kill -TERM -- "-$first_deploy_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$first_deploy_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$first_deploy_pid" 2>/dev/null || true
  fi
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if ((rc != 0)); then
    for log in "$work"/*.log; do
      [ -s "$log" ] || continue
      echo "---- $(basename "$log") (last 40 lines)" >&2
      sed 's/\x1b\[[0-9;]*m//g' "$log" | tail -40 >&2
    done
  fi
  if [ "${KEEP_INFRA_TMP:-}" = 1 ]; then echo "infra: kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- 4. first deploy (background)
# The longest part (the provider waits ~1 min for the NLB even on moto, and most of the
# rest is waiting too): started first, so the plans below run beside it.
step "infra/tests/first_deploy.sh (in the background)"
setsid bash infra/tests/first_deploy.sh --state-out "$work/state.json" >"$work/first-deploy.log" 2>&1 &
first_deploy_pid=$!
pids+=("$first_deploy_pid")

# ---------------------------------------------------------------- 1. fmt, init, validate
step "terraform fmt -check -recursive infra"
terraform fmt -check -recursive -diff infra || fail "infra/ is not formatted: run terraform fmt -recursive infra"

step "terraform init -backend=false (offline mirror, lock file read-only) + validate"
export TF_DATA_DIR="$work/tfdata"
terraform -chdir=infra init -backend=false -input=false -lockfile=readonly -no-color >"$work/init.log" 2>&1 ||
  fail "terraform init failed (see init.log above)"
terraform -chdir=infra validate -no-color || fail "terraform validate failed"

# ---------------------------------------------------------------- image pins
# What the build pulls is pinned by digest (infra/README.md, "Image pins"): every FROM of the
# Dockerfile that is not scratch or an earlier stage, and the BuildKit builder of buildspec.yml.
step "image pins: Dockerfile FROM lines and the buildspec's BuildKit image carry a digest"
python3 - Dockerfile buildspec.yml <<'EOF' || fail "an image is not pinned by digest (infra/README.md, Image pins, says how)"
import re, sys
dockerfile, buildspec = (open(p).read() for p in sys.argv[1:3])
pinned = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")
stages, images, bad = set(), [], []
for m in re.finditer(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile, re.M | re.I):
    image, stage = m.group(1), m.group(2)
    if image != "scratch" and image not in stages:
        images.append(("Dockerfile", image))
    if stage:
        stages.add(stage)
builders = re.findall(r"--driver-opt\s+\"?image=([^\s\"]+)", buildspec)
if not builders:
    bad.append("buildspec.yml: no `docker buildx create --driver-opt image=...` found")
images += [("buildspec.yml", b) for b in builders]
bad += [f"{where}: {image}" for where, image in images if not pinned.match(image)]
for b in bad:
    print(f"  not pinned (registry/name:tag@sha256:<digest>): {b}", file=sys.stderr)
if bad:
    sys.exit(1)
print("  " + ", ".join(image.split("@")[0] for _, image in images) + ": pinned by digest")
EOF

# ---------------------------------------------------------------- 2. checkov (in the background)
step "checkov -d infra (in the background)"
checkov -d infra --framework terraform --compact --quiet --skip-download --output cli >"$work/checkov.log" 2>&1 &
checkov_pid=$!
pids+=("$checkov_pid")

# ---------------------------------------------------------------- 3. moto
# A free port picked by the kernel; if another process takes it before moto binds it, moto
# exits and we try another one (three attempts).
moto_pid=
for attempt in 1 2 3; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  step "moto_server on 127.0.0.1:$port"
  moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  pids+=("$moto_pid")
  endpoint="http://127.0.0.1:$port"
  for _ in $(seq 100); do
    kill -0 "$moto_pid" 2>/dev/null || break
    # Ready, and the listener is ours (not another test's moto on a recycled port).
    if curl -fsS -o /dev/null "$endpoint/moto-api/" 2>/dev/null &&
      ss -Hltnp "sport = :$port" | grep -q "pid=$moto_pid,"; then
      break 2
    fi
    sleep 0.2
  done
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  ((attempt < 3)) || fail "moto_server did not start on 127.0.0.1 (three ports tried; see moto.log)"
done

# A copy of the configuration plus a provider override that only this test uses; taskdef.json
# and appspec.yaml sit next to it as at the repo root (infra/ecs.tf reads ../taskdef.json,
# infra/hook.tf ../appspec.yaml). The plans share
# it (the applied state comes from first_deploy.sh, which has its own copy and moto).
write_override() {
  echo 'provider "aws" {'
  echo '  access_key                  = "testing"'
  echo '  secret_key                  = "testing"'
  echo '  skip_credentials_validation = true'
  echo '  skip_metadata_api_check     = true'
  echo '  skip_region_validation      = true'
  echo '  skip_requesting_account_id  = true'
  echo '  s3_use_path_style           = true'
  echo '  endpoints {'
  for svc in appautoscaling cloudwatch codebuild codeconnections codedeploy codepipeline codestarconnections \
    ec2 ecr ecs elbv2 iam kms lambda logs s3 sts; do
    printf '    %-19s = "%s"\n' "$svc" "$endpoint"
  done
  echo '  }'
  echo '}'
}
mkdir -p "$work/plan/infra"
cp infra/*.tf infra/.terraform.lock.hcl "$work/plan/infra/"
cp taskdef.json appspec.yaml "$work/plan/"
write_override >"$work/plan/infra/moto_override.tf"
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ENDPOINT_URL
# The plans use the validated data dir: same lock file, same provider.

all_on=(-var enable_nat_gateway=true -var enable_vpc_endpoints=true -var enable_test_listener=true
  -var 'test_listener_cidrs=["203.0.113.0/24"]' -var ready_wait_minutes=10 -var flow_logs_traffic_type=ALL)
step "against moto, in parallel: plan with every optional part on; plan with the defaults; plan with wrong inputs"
# Each job ends with its `show -json` (which loads the provider schema: seconds each).
{
  terraform -chdir="$work/plan/infra" plan -input=false -lock=false -no-color -out="$work/all.tfplan" "${all_on[@]}" &&
    terraform -chdir="$work/plan/infra" show -json "$work/all.tfplan" >"$work/all.json"
} >"$work/plan-all.log" 2>&1 &
plan_all_pid=$!
pids+=("$plan_all_pid")
{
  terraform -chdir="$work/plan/infra" plan -input=false -lock=false -no-color -out="$work/default.tfplan" &&
    terraform -chdir="$work/plan/infra" show -json "$work/default.tfplan" >"$work/default.json"
} >"$work/plan-default.log" 2>&1 &
plan_default_pid=$!
pids+=("$plan_default_pid")
# TLS on (a certificate ARN of the right form; the plan does not read the certificate).
tls_cert=arn:aws:acm:eu-west-1:123456789012:certificate/0b8c3f5e-1d2a-4c6b-9e7f-2a1b3c4d5e6f
{
  terraform -chdir="$work/plan/infra" plan -input=false -lock=false -no-color -out="$work/tls.tfplan" \
    -var "tls_certificate_arn=$tls_cert" &&
    terraform -chdir="$work/plan/infra" show -json "$work/tls.tfplan" >"$work/tls.json"
} >"$work/plan-tls.log" 2>&1 &
plan_tls_pid=$!
pids+=("$plan_tls_pid")
# Wrong inputs: one plan with several bad variables must fail with each variable's message.
bad=(-var name=Demo_Stack -var az_count=1 -var region=europe -var listener_port=70000
  -var 'test_listener_cidrs=["203.0.113.0/33"]' -var log_retention_days=8 -var github_repository=no-owner
  -var codebuild_compute_type=HUGE -var 'ingress_cidrs=["10.0.0.0/33"]' -var tls_certificate_arn=not-an-arn
  -var flow_logs_traffic_type=SOME -var errors_alarm_threshold=0 -var errors_alarm_period_seconds=90
  -var errors_alarm_evaluation_periods=0 -var hook_timeout_seconds=5 -var hook_requests_per_task=0
  -var hook_max_p99_ratio=0.5)
terraform -chdir="$work/plan/infra" plan -input=false -lock=false -no-color "${bad[@]}" >"$work/plan-bad.log" 2>&1 &
plan_bad_pid=$!
pids+=("$plan_bad_pid")

wait "$plan_all_pid" || fail "terraform plan with every option on failed (see plan-all.log)"
wait "$plan_default_pid" || fail "terraform plan with the defaults failed (see plan-default.log)"
wait "$plan_tls_pid" || fail "terraform plan with tls_certificate_arn failed (see plan-tls.log)"
if wait "$plan_bad_pid"; then fail "terraform plan accepted invalid variables (see plan-bad.log)"; fi
for var in name az_count region listener_port test_listener_cidrs log_retention_days github_repository \
  codebuild_compute_type ingress_cidrs tls_certificate_arn flow_logs_traffic_type errors_alarm_threshold \
  errors_alarm_period_seconds errors_alarm_evaluation_periods hook_timeout_seconds hook_requests_per_task \
  hook_max_p99_ratio; do
  grep -q "var\.$var" "$work/plan-bad.log" || fail "terraform plan did not reject the invalid variable $var (see plan-bad.log)"
done
echo "  invalid variables rejected with their messages: $(grep -c '^Error: Invalid value for variable' "$work/plan-bad.log")"
grep -h -e '^Plan:' "$work/plan-all.log" "$work/plan-default.log" "$work/plan-tls.log" | sed 's/^/  /'

step "the defaults and the TLS option, as planned"
python3 - "$work/default.json" "$work/tls.json" "$tls_cert" "$work/all.json" <<'PY' || fail "the planned listener, flow log, hook endpoints or 5xx alarm are not what infra/README.md says (above)"
import json, sys
def changes(path):
    return {r["address"]: r["change"]["after"] for r in json.load(open(path))["resource_changes"]
            if r["change"]["actions"] != ["no-op"]}
default, tls, cert = changes(sys.argv[1]), changes(sys.argv[2]), sys.argv[3]
errors = []
def want(what, got, expected):
    if got != expected:
        errors.append(f"{what}: {got!r}, want {expected!r}")
# Flow logs: on, rejected traffic only (cost: infra/README.md).
want("default plan: aws_flow_log.main[0] traffic_type", default.get("aws_flow_log.main[0]", {}).get("traffic_type"), "REJECT")
# TLS off by default: the production listener is plain TCP on 80, no certificate.
d = default["aws_lb_listener.production"]
want("default plan: production listener", (d.get("protocol"), d.get("port"), d.get("certificate_arn")), ("TCP", 80, None))
# TLS on: one production listener, TLS on 443 with the certificate and a TLS 1.3/1.2 policy;
# the target groups and the test listener unchanged (TCP), the NLB's group opens 443.
t = tls["aws_lb_listener.production"]
want("tls plan: production listener", (t.get("protocol"), t.get("port"), t.get("certificate_arn"), t.get("ssl_policy")),
     ("TLS", 443, cert, "ELBSecurityPolicy-TLS13-1-2-2021-06"))
for color in ("blue", "green"):
    key = f'aws_lb_target_group.app["{color}"]'
    want(f"tls plan: target group {color}", (tls[key].get("protocol"), tls[key].get("port")),
         (default[key].get("protocol"), default[key].get("port")))
    want(f"tls plan: target group {color} protocol", tls[key].get("protocol"), "TCP")
want("tls plan: test listener", tls["aws_lb_listener.test[0]"].get("protocol"), "TCP")
ports = sorted(v.get("from_port") for k, v in tls.items() if k.startswith("aws_vpc_security_group_ingress_rule.nlb_listener["))
want("tls plan: NLB ingress ports of the production listener", ports, [443])
listeners = sorted(k for k in tls if k.startswith("aws_lb_listener."))
want("tls plan: listeners", listeners, ["aws_lb_listener.production", "aws_lb_listener.test[0]"])
# The validation hook reaches CodeDeploy and ELBv2 without a NAT gateway: their interface
# endpoints exist exactly when the NAT gateway is off (defaults), not beside it (all on).
all_on = changes(sys.argv[4])
hook_eps = ['aws_vpc_endpoint.interface["codedeploy"]', 'aws_vpc_endpoint.interface["elasticloadbalancing"]']
for key in hook_eps:
    want(f"default plan (no NAT): {key} service", default.get(key, {}).get("service_name"),
         "com.amazonaws.eu-west-1." + key.split('"')[1])
    want(f"default plan (no NAT): {key} private DNS", default.get(key, {}).get("private_dns_enabled"), True)
    want(f"all-on plan (NAT): {key} planned", key in all_on, False)
want("all-on plan: the tasks' endpoints", sorted(k for k in all_on if k.startswith("aws_vpc_endpoint.interface[")),
     ['aws_vpc_endpoint.interface["ecr.api"]', 'aws_vpc_endpoint.interface["ecr.dkr"]', 'aws_vpc_endpoint.interface["logs"]'])
want("default plan: the hook's group may reach the endpoints",
     default.get("aws_vpc_security_group_ingress_rule.endpoints_from_hook[0]", {}).get("from_port"), 443)
# The 5xx alarm: the access-line filter on the service's log group, missing data not breaching,
# and watched by the deployment group beside the unhealthy-hosts alarms.
mf = default["aws_cloudwatch_log_metric_filter.http_5xx"]
want("5xx metric filter pattern", mf.get("pattern"), '{ $.message = "request" && $.status >= 500 && $.path != "/health" }')
want("5xx metric filter log group", mf.get("log_group_name"), "/ecs/demo")
alarm = default["aws_cloudwatch_metric_alarm.http_5xx"]
want("5xx alarm (statistic, period, evaluation periods, threshold, missing data)",
     (alarm.get("statistic"), alarm.get("period"), alarm.get("evaluation_periods"), alarm.get("threshold"), alarm.get("treat_missing_data")),
     ("Sum", 60, 1, 5, "notBreaching"))
dg = default["aws_codedeploy_deployment_group.app"]
want("deployment group alarms", sorted(dg["alarm_configuration"][0]["alarms"]),
     ["demo-blue-unhealthy-hosts", "demo-green-unhealthy-hosts", "demo-http-5xx"])
want("deployment group rollback events", sorted(dg["auto_rollback_configuration"][0]["events"]),
     ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"])
for e in errors:
    print(f"  {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print("  defaults: flow logs REJECT, production TCP 80; tls_certificate_arn: production TLS 443 "
      "(ELBSecurityPolicy-TLS13-1-2-2021-06), targets and test listener TCP")
print("  the hook's codedeploy/elasticloadbalancing endpoints without NAT only; the 5xx filter and alarm "
      "watched by the deployment group beside the unhealthy-hosts alarms")
PY

step "waiting for the first-deploy test"
if ! wait "$first_deploy_pid"; then
  cat "$work/first-deploy.log" >&2
  fail "infra/tests/first_deploy.sh failed: infra/README.md's first deploy does not work as written"
fi
sed 's/^/  /' "$work/first-deploy.log"

# ---------------------------------------------------------------- 5./6. checks of the values
step "check_plan.py: completeness and consistency"
python3 infra/tests/check_plan.py --repo . --plan "$work/all.json" --state "$work/state.json" --expect-private-tasks
python3 infra/tests/check_plan.py --repo . --plan "$work/default.json" --only-complete
step "check_iam.py: least privilege"
python3 infra/tests/check_iam.py --repo . --state "$work/state.json"

step "waiting for checkov"
if ! wait "$checkov_pid"; then
  cat "$work/checkov.log" >&2
  fail "checkov -d infra found failing checks (fix them or skip inline with a reason)"
fi
grep -E '^(Passed|Failed) checks|Skipped checks' "$work/checkov.log" | sed 's/^/  /'
# Stamps of other inputs are dropped: one per tree state that passed is all a rerun needs.
find .tmp/infra-check-passed -type f ! -name "$(basename "$stamp")" -delete
touch "$stamp"
step "ok"
