#!/usr/bin/env bash
# The first deploy and the teardown of infra/README.md, run as written, offline:
#
#   infra/tests/first_deploy.sh [--readme FILE] [--state-out FILE]   (run by scripts/checks/infra.sh)
#
# It extracts the ```sh blocks of the README's "## Apply" section (the tfvars, `terraform
# init`, the first-deploy steps), and runs them in order in one bash (`set -euo pipefail`),
# in a throwaway copy of the repository, against a moto server on 127.0.0.1 that it starts
# and stops (by PID, on any exit). On PATH in front of the real tools:
#   - docker: infra/tests/docker-standin.sh (records argv; checks --platform linux/amd64,
#     --provenance=false, the login; "pushes" by putting a manifest into moto's ECR);
#   - terraform: records every call and its exit code, then runs the real terraform. The
#     full apply (an `apply` without -target) gets -target of every resource except the
#     three moto cannot hold (CodeConnections is not emulated, CodeBuild wants a source
#     location, CodePipeline read-back fails) and the one policy that names them;
#   - aws: refuses a --region that is not a Region name (the real CLI would build an
#     endpoint that does not exist), then runs the real AWS CLI (endpoint: moto).
# Then it checks: every terraform call succeeded, in the README's order (targeted apply,
# outputs, push, full apply); the image `initial` is in ECR before the full apply, which
# printed no initial_image_pushed warning; the service runs `<repo>:initial` in blue; the
# lifecycle policy keeps `initial`; and after CodeDeploy's listener move (simulated:
# ModifyListener to green) a network switch recreates the service in green, as do a change
# of az_count and a replaced tasks' security group (the trigger, not an in-place update).
# Then the ```sh blocks of "## Teardown" (run from infra/, a `destroy` gets -auto-approve):
# with an artifact in the bucket, force_destroy is applied before the destroy, and nothing
# is left. moto has no CodeDeploy delete: those two resources leave the state first.
# Each terraform call is bounded (timeout 600 s; 124 in calls.log names the one that hung).
# A README edit that breaks a step fails here. KEEP_INFRA_TMP=1 keeps the directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
export PATH="$repo/.venv/bin:$PATH"
readme=$repo/infra/README.md
state_out=
while (($#)); do
  case "$1" in
  --readme) readme=$(realpath "$2"); shift 2 ;;
  --state-out) state_out=$(realpath -m "$2"); shift 2 ;;
  *) echo "usage: $0 [--readme FILE] [--state-out FILE (terraform show -json after the full apply)]" >&2; exit 2 ;;
  esac
done

fail() { echo "first-deploy test: $*" >&2; exit 1; }
step() { printf '%s first-deploy: %s\n' "$(date +%T)" "$*"; }

for tool in terraform moto_server aws curl ss python3 sha256sum; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup (moto_server from .venv, aws from the image, ss from iproute2)"
done
[ -f "$readme" ] || fail "no README at $readme"

real_tf=$(command -v terraform)
real_aws=$(command -v aws)
export TF_CLI_CONFIG_FILE="$repo/infra/offline.tfrc"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
unset TF_WORKSPACE TF_CLI_ARGS TF_CLI_ARGS_plan TF_CLI_ARGS_apply TF_DATA_DIR
# No region from the environment: the README's commands must name it themselves.
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

mkdir -p .tmp
work=$(mktemp -d "$repo/.tmp/first-deploy.XXXXXX")
moto_pid=
state_pid=
cleanup() {
  local rc=$?
  if [ -n "$state_pid" ] && kill -0 "$state_pid" 2>/dev/null; then kill "$state_pid" 2>/dev/null || true; fi
  if [ -n "$moto_pid" ] && kill -0 "$moto_pid" 2>/dev/null; then
    kill -TERM "$moto_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$moto_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$moto_pid" 2>/dev/null || true
  fi
  [ -z "$moto_pid" ] || wait "$moto_pid" 2>/dev/null || true
  if ((rc != 0)); then
    for log in "$work"/readme.log "$work"/calls.log "$work"/moto.log; do
      [ -s "$log" ] || continue
      echo "---- $(basename "$log") (last 40 lines)" >&2
      sed 's/\x1b\[[0-9;]*m//g' "$log" | tail -40 >&2
    done
  fi
  if [ "${KEEP_INFRA_TMP:-}" = 1 ]; then echo "first-deploy: kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- the README's commands
step "extracting the sh blocks of the '## Apply' and '## Teardown' sections of ${readme#"$repo"/}"
python3 - "$readme" "$work/readme.sh" "$work/teardown.sh" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
def section(title, at_least, what, out_path):
    m = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        sys.exit(f"{sys.argv[1]}: no '## {title}' section")
    blocks = re.findall(r"^```sh\n(.*?)^```$", m.group(1), re.S | re.M)
    if len(blocks) < at_least:
        sys.exit(f"{sys.argv[1]}: '## {title}' has {len(blocks)} sh blocks; expected {what}")
    with open(out_path, "w") as out:
        out.write("set -euo pipefail\n")
        for i, b in enumerate(blocks, 1):
            out.write(f"echo '>>> README {title} block {i}' >&2\n{b}\n")
    print(f"  {title}: {len(blocks)} blocks, {sum(b.count(chr(10)) for b in blocks)} lines")
section("Apply", 2, "the setup and the first deploy", sys.argv[2])
section("Teardown", 1, "the teardown", sys.argv[3])
EOF

# ---------------------------------------------------------------- moto
for attempt in 1 2 3; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  step "moto_server on 127.0.0.1:$port"
  moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  endpoint="http://127.0.0.1:$port"
  for _ in $(seq 100); do
    kill -0 "$moto_pid" 2>/dev/null || break
    if curl -fsS -o /dev/null "$endpoint/moto-api/" 2>/dev/null &&
      ss -Hltnp "sport = :$port" | grep -q "pid=$moto_pid,"; then
      break 2
    fi
    sleep 0.2
  done
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  moto_pid=
  ((attempt < 3)) || fail "moto_server did not start on 127.0.0.1 (three ports tried; see moto.log)"
done
export AWS_ENDPOINT_URL=$endpoint

# ---------------------------------------------------------------- the copy and the stand-ins
copy=$work/repo
mkdir -p "$copy/infra" "$work/bin" "$work/state"
cp infra/*.tf infra/.terraform.lock.hcl "$copy/infra/"
cp taskdef.json appspec.yaml Dockerfile "$copy/"
{
  echo '# Written by infra/tests/first_deploy.sh: every AWS API of the provider goes to moto.'
  echo 'provider "aws" {'
  echo '  access_key                  = "testing"'
  echo '  secret_key                  = "testing"'
  echo '  skip_credentials_validation = true'
  echo '  skip_metadata_api_check     = true'
  echo '  skip_requesting_account_id  = true'
  echo '  s3_use_path_style           = true'
  echo '  endpoints {'
  for svc in appautoscaling cloudwatch codebuild codeconnections codedeploy codepipeline codestarconnections \
    ec2 ecr ecs elbv2 iam kms lambda logs s3 sts; do
    printf '    %-19s = "%s"\n' "$svc" "$endpoint"
  done
  echo '  }'
  echo '}'
} >"$copy/infra/moto_override.tf"

# What moto cannot hold, and what names it (a dependent left out would pull them back in
# and fail the apply: nothing is skipped silently).
# Application Auto Scaling (infra/autoscaling.tf): moto 5.2 has no
# ListTagsForResource for it, which the provider reads after each create (it retries the
# 500s until the apply times out); plan-checked by scripts/checks/infra.sh instead.
moto_gaps=(aws_codeconnections_connection.github aws_codebuild_project.app aws_codepipeline.app
  aws_iam_role_policy.codepipeline aws_appautoscaling_target.service aws_appautoscaling_policy.cpu)
python3 - "$copy/infra" "${moto_gaps[@]}" >"$work/full-apply-targets" <<'EOF'
import sys
from pathlib import Path
import hcl2
skip = set(sys.argv[2:])
found = set()
for tf in sorted(Path(sys.argv[1]).glob("*.tf")):
    for block in hcl2.loads(tf.read_text()).get("resource", []):
        for rtype, items in block.items():
            for name in items:
                found.add(f"{rtype}.{name}")
missing = skip - found
if missing:
    sys.exit(f"first_deploy.sh: moto_gaps names resources that infra/ no longer has: {sorted(missing)}")
for addr in sorted(found - skip):
    print(f"-target={addr}")
EOF

cat >"$work/bin/terraform" <<EOF
#!/usr/bin/env bash
# Records the call and its exit code; a full apply gets the targets moto can hold.
args=("\$@")
if [ "\${1:-}" = apply ] && ! printf '%s\n' "\$@" | grep -q '^-target'; then
  mapfile -t targets <"$work/full-apply-targets"
  args=(apply -auto-approve -lock=false -parallelism=20 "\${targets[@]}" "\${@:2}")
elif [ "\${1:-}" = apply ]; then
  args=(apply -auto-approve -lock=false "\${@:2}")
elif [ "\${1:-}" = destroy ]; then
  args=(destroy -auto-approve -lock=false -parallelism=20 "\${@:2}")
fi
rc=0 t0=\$SECONDS
# Bounded: a resource whose delete moto does not implement makes the provider retry until
# its own timeout (tens of minutes); 124 in calls.log then says which call it was.
timeout -k 20 600 "$real_tf" "\${args[@]}" || rc=\$?
printf 'terraform %s -> %s (%ss)\n' "\$*" "\$rc" "\$((SECONDS - t0))" >>"$work/calls.log"
exit \$rc
EOF
cat >"$work/bin/aws" <<EOF
#!/usr/bin/env bash
# Refuses what the real AWS CLI could not send to AWS, then runs it against moto.
prev=
for a in "\$@"; do
  if [ "\$prev" = --region ] && ! [[ \$a =~ ^[a-z]{2}(-gov)?-[a-z]+-[0-9]\$ ]]; then
    echo "aws (stand-in): --region '\$a' is not a Region name: the real CLI would call an endpoint that does not exist" >&2
    printf 'aws %s -> bad region\n' "\$*" >>"$work/calls.log"
    exit 255
  fi
  prev=\$a
done
rc=0
"$real_aws" "\$@" || rc=\$?
printf 'aws %s -> %s\n' "\$*" "\$rc" >>"$work/calls.log"
exit \$rc
EOF
cp infra/tests/docker-standin.sh "$work/bin/docker"
chmod +x "$work/bin/terraform" "$work/bin/aws" "$work/bin/docker"
export STANDIN_LOG=$work/calls.log STANDIN_STATE=$work/state

# The stand-in must refuse what the README must not do (so it cannot pass by accident).
if PATH="$work/bin:$PATH" docker build --provenance=false --tag 123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:x --push "$copy" 2>/dev/null; then
  fail "the docker stand-in accepted a build without --platform linux/amd64"
fi
: >"$work/calls.log"

# ---------------------------------------------------------------- run
step "running the README's commands (terraform init, targeted apply, login, build and push, full apply)"
(cd "$copy" && PATH="$work/bin:$PATH" bash "$work/readme.sh") >"$work/readme.log" 2>&1 ||
  fail "the README's first-deploy commands failed (readme.log and calls.log above)"
grep -h -e '^Apply complete' "$work/readme.log" | sed 's/^/  /'

# ---------------------------------------------------------------- checks
step "checking what the commands did"
failed=$(grep -E -e '-> ([^0 ]|0[0-9])' "$work/calls.log" || true)
[ -z "$failed" ] || fail "commands of the README failed (a failing \$(...) does not stop bash):
$failed"
python3 - "$work/calls.log" <<'EOF'
import re, sys
calls = [l.rstrip("\n") for l in open(sys.argv[1])]
def index(pred, what):
    for i, c in enumerate(calls):
        if pred(c):
            return i
    sys.exit(f"first-deploy: no {what} in the calls:\n" + "\n".join(calls))
init = index(lambda c: c.startswith("terraform init"), "terraform init")
step1 = index(lambda c: re.match(r"terraform apply .*-target=aws_ecr_repository\.app( |$)", c), "step 1 (apply -target=aws_ecr_repository.app)")
out = index(lambda c: c.startswith("terraform output -raw ecr_repository_url"), "terraform output -raw ecr_repository_url")
hook_out = index(lambda c: c.startswith("terraform output -raw hook_repository_url"), "terraform output -raw hook_repository_url")
login = index(lambda c: c.startswith("docker login"), "docker login")
pushed = index(lambda c: c.startswith("pushed ") and c.endswith("/demo:initial"), "push of <repo>:initial")
hook_pushed = index(lambda c: c.startswith("pushed ") and c.endswith("/demo-validate:initial"), "push of <hook repo>:initial")
full = index(lambda c: re.match(r"terraform apply(?!.*-target)", c), "full terraform apply (step 3)")
order = [init, step1, out, login, pushed, full]
if order != sorted(order) or not (step1 < hook_out < login < hook_pushed < full):
    sys.exit(f"first-deploy: steps out of order (init, step 1, outputs, login, pushes, full apply): {order}\n" + "\n".join(calls))
# The hook's image is the `hook` stage (the function's ENTRYPOINT /bootstrap), not the service's.
hook_build = [c for c in calls if c.startswith("docker buildx build") and "demo-validate:initial" in c]
if not hook_build or "--target hook" not in hook_build[0]:
    sys.exit(f"first-deploy: the hook image must be built from the Dockerfile's `hook` stage: {hook_build}")
step1_targets = re.findall(r"-target=(\S+)", calls[step1])
if sorted(step1_targets) != ["aws_ecr_repository.app", "aws_ecr_repository.hook"]:
    sys.exit(f"first-deploy: step 1 targets {step1_targets}, want only the two repositories")
print("  calls in order: init, apply -target= the two repositories, outputs, login, push :initial (service, hook), full apply")
EOF

if grep -q 'initial_image_pushed' "$work/readme.log"; then
  fail "the full apply warned that the image is missing (initial_image_pushed): the push did not reach ECR first"
fi
if grep -q 'hook_image_pushed' "$work/readme.log"; then
  fail "the full apply warned that the hook's image is missing (hook_image_pushed): the push did not reach ECR first"
fi

cd "$copy/infra"
tf() { "$real_tf" "$@"; }
tf output -json >"$work/outputs.json"
# The state of the full apply, for check_plan.py and check_iam.py (scripts/checks/infra.sh),
# written while the checks below run.
if [ -n "$state_out" ]; then
  tf show -json >"$state_out" &
  state_pid=$!
fi

# One Python process for the AWS reads (boto3 against moto; each `aws` call is a second).
python3 - "$work/outputs.json" <<'PY' || fail "the stack after the first deploy is not what the README promises (above)"
import json, sys
import boto3
out = {k: v["value"] for k, v in json.load(open(sys.argv[1])).items()}
for name in ("region", "ecr_repository_url", "listener_arn", "test_listener_arn", "target_group_blue_arn"):
    if not out.get(name):
        sys.exit(f"output {name} is missing or empty after the full apply")
region, repo_url = out["region"], out["ecr_repository_url"]
ecr = boto3.client("ecr", region_name=region)
ecs = boto3.client("ecs", region_name=region)
images = ecr.describe_images(repositoryName="demo", imageIds=[{"imageTag": "initial"}])["imageDetails"]
if not images:
    sys.exit("ECR has no image tagged initial")
services = ecs.describe_services(cluster="demo", services=["demo"])["services"]
if not services:
    sys.exit("the full apply created no ECS service demo")
svc = services[0]
image = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]["containerDefinitions"][0]["image"]
if image != f"{repo_url}:initial":
    sys.exit(f"the service runs {image}, want {repo_url}:initial")
tg = svc["loadBalancers"][0]["targetGroupArn"]
if tg != out["target_group_blue_arn"]:
    sys.exit(f"the first service registers in {tg}, want blue {out['target_group_blue_arn']}")
print(f"  service demo runs {image} in demo-blue; test listener on (on by default)")
# The validation hook: the function appspec.yaml names, on the hook's first image, in the
# private subnets with its own group, which the tasks' group admits on the container port.
lam = boto3.client("lambda", region_name=region)
ec2 = boto3.client("ec2", region_name=region)
fn = lam.get_function(FunctionName=out["hook_function_name"])
conf = fn["Configuration"]
if fn["Code"].get("ImageUri") != out["hook_repository_url"] + ":initial" or conf.get("PackageType") != "Image":
    sys.exit(f"the hook function runs {fn['Code']}, want the image {out['hook_repository_url']}:initial")
hook_sgs = conf.get("VpcConfig", {}).get("SecurityGroupIds", [])
if len(hook_sgs) != 1 or len(conf["VpcConfig"].get("SubnetIds", [])) < 2:
    sys.exit(f"the hook function's VPC config: {conf.get('VpcConfig')}")
tasks_sg = svc["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"][0]
rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [tasks_sg]}])["SecurityGroupRules"]
if not any(not r["IsEgress"] and r.get("ReferencedGroupInfo", {}).get("GroupId") == hook_sgs[0]
           and r["FromPort"] == 3000 for r in rules):
    sys.exit(f"the tasks' group {tasks_sg} does not admit the hook's group {hook_sgs[0]} on 3000: {rules}")
print(f"  hook {conf['FunctionName']} runs {fn['Code']['ImageUri']} in the VPC; the tasks admit its group on 3000")
rules = sorted(json.loads(ecr.get_lifecycle_policy(repositoryName="demo")["lifecyclePolicyText"])["rules"],
               key=lambda r: r["rulePriority"])
first = rules[0]["selection"]
if not (first.get("tagStatus") == "tagged" and first.get("tagPatternList") == ["initial"]
        and first.get("countType") == "imageCountMoreThan" and first.get("countNumber", 0) >= 1):
    sys.exit(f"ECR lifecycle: the first rule must keep the tag initial, got {rules[0]}")
print("  ECR lifecycle rule 1 keeps initial")
# A deployment to green happened: CodeDeploy moved both listeners to green (simulated: ModifyListener).
elb = boto3.client("elbv2", region_name=region)
for arn in (out["listener_arn"], out["test_listener_arn"]):
    elb.modify_listener(ListenerArn=arn, DefaultActions=[{"Type": "forward", "TargetGroupArn": out["target_group_green_arn"]}])
PY

step "the network switch after a deployment to green: plan"
# -refresh=false: the managed resources are as just applied; data sources (the listener's
# current target group among them) are read all the same. -target: only the service and
# what it depends on (the placement trigger, the listener read-back) are planned.
tf plan -input=false -lock=false -no-color -refresh=false -target=aws_ecs_service.app \
  -var enable_vpc_endpoints=true -out="$work/switch.tfplan" >"$work/switch.log" 2>&1 ||
  { tail -30 "$work/switch.log" >&2; fail "the plan of the network switch failed"; }
tf show -json "$work/switch.tfplan" >"$work/switch.json"
python3 - "$work/switch.json" "$work/outputs.json" <<'PY' || fail "the network switch would break the service (above)"
import json, sys
plan = json.load(open(sys.argv[1]))
green = json.load(open(sys.argv[2]))["target_group_green_arn"]["value"]
rc = [r for r in plan["resource_changes"] if r["address"] == "aws_ecs_service.app"]
if not rc or rc[0]["change"]["actions"] not in (["delete", "create"], ["create", "delete"]):
    sys.exit(f"the network switch does not replace the service: {rc and rc[0]['change']['actions']}")
tg = rc[0]["change"]["after"]["load_balancer"][0]["target_group_arn"]
if tg != green:
    sys.exit(f"the recreated service would register in {tg}, but production forwards to green {green}")
print("  the network switch replaces the service, in green (where the listener points)")
PY

# Every other input of the network configuration: ECS refuses to change any of them in place
# for a CODE_DEPLOY service, so each must replace the service (by the trigger), not update it.
network_change() {
  local what=$1
  shift
  step "network change, $what: plan"
  tf plan -input=false -lock=false -no-color -refresh=false -target=aws_ecs_service.app \
    "$@" -out="$work/net.tfplan" >"$work/net.log" 2>&1 ||
    { tail -30 "$work/net.log" >&2; fail "the plan of the network change ($what) failed"; }
  tf show -json "$work/net.tfplan" >"$work/net.json"
  python3 - "$work/net.json" "$what" <<'PY' || fail "a network change ($what) would update the CODE_DEPLOY service in place (ECS rejects that)"
import json, sys
plan, what = json.load(open(sys.argv[1])), sys.argv[2]
rc = [r for r in plan["resource_changes"] if r["address"] == "aws_ecs_service.app"]
actions = rc and rc[0]["change"]["actions"]
if actions not in (["delete", "create"], ["create", "delete"]):
    sys.exit(f"{what}: aws_ecs_service.app plans {actions}, want a replacement")
reason = rc[0].get("action_reason")
if reason != "replace_by_triggers":
    sys.exit(f"{what}: the service is replaced for {reason!r}, want replace_by_triggers (terraform_data.task_network)")
print(f"  {what}: the service is replaced (replace_by_triggers), not updated in place")
PY
}
network_change "az_count 2 -> 3" -var az_count=3
network_change "the tasks' security group replaced" -replace=aws_security_group.tasks

if [ -n "$state_pid" ]; then wait "$state_pid" || fail "terraform show -json of the state failed"; fi
state_pid=

# ---------------------------------------------------------------- teardown
step "teardown: an artifact in the bucket, then the README's teardown blocks"
# Something in each store, as on a real account: the image `initial` is in ECR already; the
# bucket gets an artifact (versioned: the destroy must delete every version).
python3 - "$work/outputs.json" <<'PY' || fail "could not put a test artifact into the bucket"
import json, sys
import boto3
out = {k: v["value"] for k, v in json.load(open(sys.argv[1])).items()}
s3 = boto3.client("s3", region_name=out["region"])
bucket = out["artifact_bucket"]
# moto reads the bucket's TLS-only Deny as denying plain-HTTP object writes (its endpoint
# here), so the policy steps aside for the two writes and comes back as it was.
policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
s3.delete_bucket_policy(Bucket=bucket)
for body in (b"first", b"second"):
    s3.put_object(Bucket=bucket, Key="demo/BuildArtif/x.zip", Body=body)
s3.put_bucket_policy(Bucket=bucket, Policy=policy)
versions = s3.list_object_versions(Bucket=bucket).get("Versions", [])
if len(versions) != 2:
    sys.exit(f"expected two versions of the test artifact, found {len(versions)}")
PY
# moto 5.2 implements neither DeleteDeploymentGroup nor DeleteApplication for CodeDeploy
# (it answers 500, which the provider retries until its timeout): those two leave the state
# here, the only step of the teardown that is not the README's; everything else is
# destroyed by the README's commands as written.
tf state rm -lock=false aws_codedeploy_deployment_group.app aws_codedeploy_app.app >"$work/state-rm.log" 2>&1 ||
  { cat "$work/state-rm.log" >&2; fail "terraform state rm of the CodeDeploy resources failed"; }
: >"$work/calls.log"
(cd "$copy/infra" && PATH="$work/bin:$PATH" bash "$work/teardown.sh") >"$work/teardown.log" 2>&1 ||
  { tail -40 "$work/teardown.log" >&2; fail "the README's teardown failed (teardown.log above; 124 in calls.log: a call timed out)"; }
failed=$(grep -E -e '-> ([^0 ]|0[0-9])' "$work/calls.log" || true)
[ -z "$failed" ] || fail "commands of the README's teardown failed:
$failed"
python3 - "$work/calls.log" <<'PY' || fail "the teardown's calls are not the README's"
import re, sys
calls = [l.rstrip("\n") for l in open(sys.argv[1])]
apply = [i for i, c in enumerate(calls) if re.match(r"terraform apply .*-var force_destroy=true", c)]
destroy = [i for i, c in enumerate(calls) if re.match(r"terraform destroy .*-var force_destroy=true", c)]
if not apply or not destroy or apply[0] > destroy[0]:
    sys.exit("first-deploy: the teardown must apply force_destroy=true, then destroy:\n" + "\n".join(calls))
print("  calls in order: apply -var force_destroy=true (ECR, bucket), destroy -var force_destroy=true")
PY
left=$(tf state list 2>/dev/null || true)
[ -z "$left" ] || fail "resources left in the state after the teardown:
$left"
python3 - "$work/outputs.json" <<'PY' || fail "the teardown left the repository or the bucket behind"
import json, sys
import boto3
out = {k: v["value"] for k, v in json.load(open(sys.argv[1])).items()}
ecr = boto3.client("ecr", region_name=out["region"])
s3 = boto3.client("s3", region_name=out["region"])
repos = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
if "demo" in repos or "demo-validate" in repos or out["artifact_bucket"] in buckets:
    sys.exit(f"still there: repositories {repos}, buckets {buckets}")
print("  state empty; the ECR repositories (service and hook, with their images) and the bucket (with two versions) are gone")
PY
step "ok"
