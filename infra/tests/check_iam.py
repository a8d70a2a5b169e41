#!/usr/bin/env python3
"""Least-privilege checks of the IAM policies in infra/ (run by scripts/checks/infra.sh).

    check_iam.py --repo . [--state state.json]

From the HCL (every data "aws_iam_policy_document", parsed with python-hcl2):
- every action exists in AWS's IAM reference (parliament's copy of it) and none is a wildcard;
- "Resource": "*" only for actions that have no resource-level permissions in AWS, or with a
  condition that scopes them, and with a comment that says why; key policies are exempt
  (there "*" means the key itself);
- iam:PassRole only for the two ECS roles, conditioned on ecs-tasks.amazonaws.com;
- each trust policy carries exactly the conditions AWS documents for its service (TRUST:
  key, value and the page, whose URL must sit next to the statement); a condition no AWS
  page shows fails, as does a trust policy not listed;
- the grants removed as broader than needed (REMOVED) do not come back;
- the scope decisions (DECISIONS) hold, each with its reason and source in a comment.
From the state of the partial apply against moto (rendered JSON): parliament's findings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import hcl2
import parliament

failures: list[str] = []
passed = 0


def check(cond: bool, msg: str) -> None:
    global passed
    if cond:
        passed += 1
    else:
        failures.append(msg)


def flat(value) -> list:
    """python-hcl2 wraps attribute values in lists; flatten to the plain list of scalars."""
    if isinstance(value, list):
        out = []
        for v in value:
            out.extend(flat(v))
        return out
    return [value]


def first(value):
    v = flat(value)
    return v[0] if v else None


# ---------------------------------------------------------------- AWS's IAM reference

IAM_DB = {s["prefix"]: s for s in parliament.iam_definition}


def privilege(action: str) -> dict | None:
    prefix, _, name = action.partition(":")
    svc = IAM_DB.get(prefix.lower())
    if svc is None:
        return None
    for p in svc["privileges"]:
        if p["privilege"].lower() == name.lower():
            return p
    return None


def needs_star(action: str) -> bool:
    """True when AWS offers no resource type for the action (Resource must be "*")."""
    p = privilege(action)
    return p is not None and all(rt["resource_type"] == "" for rt in p["resource_types"])


# ---------------------------------------------------------------- trust policies

# Per trust policy document: its service principal, the conditions it must carry (key ->
# value, as written in the HCL), and the AWS page that documents them for that service.
# A condition on a key the service does not send denies the AssumeRole, and no offline test
# can see that: only keys an AWS page shows for that service are allowed. An empty dict
# means AWS documents none for that service (the role is bounded by iam:PassRole instead).
# None of these is verified against a real account yet (infra/README.md says so).
TRUST = {
    "codepipeline_assume": (
        "codepipeline.amazonaws.com", {},
        "https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-service-role-cli.html",
    ),
    "codebuild_assume": (
        "codebuild.amazonaws.com",
        {"aws:SourceAccount": "${local.account_id}", "aws:SourceArn": "${local.codebuild_arn}"},
        "https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html",
    ),
    "codedeploy_assume": (
        "codedeploy.amazonaws.com",
        {"aws:SourceAccount": "${local.account_id}", "aws:SourceArn": "${local.codedeploy_group}"},
        "https://docs.aws.amazon.com/codedeploy/latest/userguide/security_confused_deputy.html",
    ),
    "ecs_execution_assume": (
        "ecs-tasks.amazonaws.com", {},
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
    ),
    "ecs_tasks_assume": (
        "ecs-tasks.amazonaws.com",
        {"aws:SourceAccount": "${local.account_id}",
         "aws:SourceArn": "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:*"},
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html",
    ),
    "hook_assume": (
        "lambda.amazonaws.com", {},
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
    ),
    "flow_logs_assume": (
        "vpc-flow-logs.amazonaws.com",
        {"aws:SourceAccount": "${local.account_id}",
         "aws:SourceArn": "${local.arn_prefix}:ec2:${local.region}:${local.account_id}:vpc-flow-log/*"},
        "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
    ),
}


def check_trust(where: str, name: str, text: str, statements: list) -> None:
    if name not in TRUST:
        failures.append(f"{where}: a trust policy that check_iam.py's TRUST does not list: add its service, "
                        "the conditions an AWS page documents for that service, and the page")
        return
    principal, want, url = TRUST[name]
    check(len(statements) == 1, f"{where}: one statement expected in a trust policy, found {len(statements)}")
    for st in statements:
        services = [v for p in st.get("principals", []) for v in flat(p.get("identifiers"))]
        check(services == [principal], f"{where}: trusts {services}, want [{principal!r}]")
        got = {}
        for c in st.get("condition", []):
            key = first(c.get("variable"))
            if key in got:
                failures.append(f"{where}: condition key {key} twice")
            got[key] = flat(c.get("values"))
        for key in sorted(set(got) - set(want)):
            failures.append(f"{where}: condition {key} is not documented by AWS for {principal} "
                            f"(TRUST lists {sorted(want) or 'none'} from {url}); a key the service does not "
                            "send denies the AssumeRole")
        for key, value in want.items():
            check(got.get(key) == [value], f"{where}: condition {key} must be [{value!r}] ({url}), found {got.get(key)}")
    # The source sits next to the statement: in the document block or the comment above it.
    start = text.find(f'data "aws_iam_policy_document" "{name}"')
    block = text[max(0, text.rfind("\n\n", 0, start)) : text.find("\n}\n", start)]
    check(url in block, f"{where}: the trust policy must cite its source next to it: {url}")


# ---------------------------------------------------------------- removed grants

# Grants removed as broader than needed; any of them back in these documents fails.
# (file, policy document) -> {action: reason}.
REMOVED = {
    ("infra/iam-codepipeline.tf", "codepipeline"): {
        "s3:PutObjectAcl": "the artifact bucket has ACLs disabled (BucketOwnerEnforced)",
        "ecs:DescribeTaskDefinition": "CodeDeployToECS registers the template, it does not read revisions "
                                      "(AWS CDK's CodeDeployEcsDeployAction does not grant it)",
        "kms:ReEncryptFrom": "nothing re-encrypts artifacts under another key",
        "kms:ReEncryptTo": "nothing re-encrypts artifacts under another key",
        "kms:GenerateDataKeyWithoutPlaintext": "nothing stores a data key for later",
    },
    ("infra/iam-codebuild.tf", "codebuild"): {
        "kms:ReEncryptFrom": "nothing re-encrypts artifacts under another key",
        "kms:ReEncryptTo": "nothing re-encrypts artifacts under another key",
        "kms:GenerateDataKeyWithoutPlaintext": "nothing stores a data key for later",
    },
    ("infra/kms.tf", "artifacts_key"): {
        "kms:ReEncryptFrom": "the pipeline roles never re-encrypt artifacts under another key",
        "kms:ReEncryptTo": "the pipeline roles never re-encrypt artifacts under another key",
        "kms:GenerateDataKeyWithoutPlaintext": "the pipeline roles never store a data key for later",
    },
    ("infra/iam-codedeploy.tf", "codedeploy"): {
        "elasticloadbalancing:DescribeRules": "NLB listeners have no rules",
    },
}


def check_removed(repo: Path) -> None:
    seen = set()
    for tf, _text, name, doc in policy_documents(repo):
        key = (str(tf.relative_to(repo)), name)
        if key not in REMOVED:
            continue
        seen.add(key)
        for st in doc.get("statement", []):
            for a in flat(st.get("actions", [])):
                banned = [b for b in REMOVED[key] if b.lower() == str(a).lower()
                          or (str(a).endswith("*") and b.lower().startswith(str(a)[:-1].lower()))]
                for b in banned:
                    failures.append(f"{key[0]}: data.aws_iam_policy_document.{name} statement "
                                    f"{first(st.get('sid')) or '(no sid)'}: {a} is back; removed because {REMOVED[key][b]}")
    check(seen == set(REMOVED), f"check_iam: REMOVED names documents infra/ no longer has: {sorted(set(REMOVED) - seen)}")
    print(f"check_iam: {sum(len(v) for v in REMOVED.values())} removed grants stay removed")


# ---------------------------------------------------------------- decisions

# Statements whose resources were chosen against the rule above, for a first deploy that
# works on a real account. Each is pinned here so that it cannot regress silently (back to
# a narrower scope that AWS denies), and each must carry its reason and source in a
# comment next to the code. (file, policy document, sid) -> (actions, resources, reason).
DECISIONS = {
    ("infra/iam-codedeploy.tf", "codedeploy", "WatchRollbackAlarms"): (
        ["cloudwatch:DescribeAlarms"], ["*"],
        "CloudWatch's API reference requires DescribeAlarms scoped to * (composite alarms); "
        "AWSCodeDeployRoleForECSLimited grants it on *; a denied alarm poll stops every deployment",
    ),
    ("infra/iam-codepipeline.tf", "codepipeline", "RegisterTaskDefinitionRevisions"): (
        ["ecs:RegisterTaskDefinition"], ["*"],
        "the ARN IAM evaluates for a revision that does not exist yet is not settled (AWS CDK's "
        "CodeDeployEcsDeployAction grants *; users report denials on *); task-definition/demo:* "
        "matches neither * nor task-definition/demo, and a denial fails every Deploy stage",
    ),
    ("infra/iam-codebuild.tf", "codebuild", "ListBuildCache"): (
        ["s3:ListBucket"], ["${aws_s3_bucket.artifacts.arn}"],
        "without ListBucket S3 answers a missing cache object with 403 instead of 404",
    ),
    # The validation hook (infra/hook.tf) and the two roles that drive it.
    ("infra/hook.tf", "hook", "ReadTheDeploymentReportTheHook"): (
        ["codedeploy:GetDeploymentTarget", "codedeploy:ListDeploymentTargets",
         "codedeploy:PutLifecycleEventHookExecutionStatus"], ["${local.codedeploy_group}"],
        "this deployment group only: AWS CDK's LambdaDeploymentGroup grants the hook status on the "
        "group's ARN and CodeDeploy's permissions reference lists the group's ARN; parliament's copy of "
        "the IAM reference has no resource type for them (a wider \"*\" would pass its lint, not least privilege)",
    ),
    ("infra/hook.tf", "hook", "FindEachSidesTasks"): (
        ["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth"], ["*"],
        "ELBv2 Describe* have no resource-level permissions (Service Authorization Reference)",
    ),
    ("infra/hook.tf", "hook", "WriteOwnLogs"): (
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        ["${aws_cloudwatch_log_group.hook.arn}", "${aws_cloudwatch_log_group.hook.arn}:log-stream:*"],
        "its own log group only (the one with retention and the logs key), no CreateLogGroup",
    ),
    ("infra/hook.tf", "hook", "DescribeFunctionNetwork"): (
        ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], ["*"],
        "EC2 Describe* have no resource-level permissions; Lambda's VPC page: DescribeNetworkInterfaces "
        "only works on *",
    ),
    ("infra/hook.tf", "hook", "ManageFunctionNetworkInterfaces"): (
        ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
         "ec2:UnassignPrivateIpAddresses"], ["*"],
        "Lambda creates the function's ENIs with its role, IDs unknown in advance; Lambda's VPC page warns "
        "a DeleteNetworkInterface without all resource IDs may cut the function off; "
        "AWSLambdaVPCAccessExecutionRole grants them on *",
    ),
    ("infra/iam-codedeploy.tf", "codedeploy", "InvokeTheValidationHook"): (
        ["lambda:InvokeFunction"], ["${local.hook_function_arn}"],
        "exactly the function appspec.yaml names (AWSCodeDeployRoleForECS grants function:CodeDeployHook_*)",
    ),
    ("infra/iam-codebuild.tf", "codebuild", "UpdateTheValidationHook"): (
        ["lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode"], ["${local.hook_function_arn}"],
        "the buildspec moves exactly the hook function to the commit's image and waits for it",
    ),
}

# "*" is accepted for these actions only in the statements above.
DECIDED_STAR = {(f, d, sid) for (f, d, sid), (_, res, _) in DECISIONS.items() if res == ["*"]}
DECIDED_STAR_ACTIONS = {a for (acts, res, _) in DECISIONS.values() if res == ["*"] for a in acts}


def statement_text(text: str, sid: str) -> str:
    """The statement block holding `sid`, with the comment lines inside it."""
    i = text.find(f'"{sid}"')
    start = text.rfind("statement {", 0, i)
    return text[start : text.find("\n  }", i)]


# ---------------------------------------------------------------- HCL


def hcl_locals(repo: Path) -> dict:
    out = {}
    for tf in sorted((repo / "infra").glob("*.tf")):
        for block in hcl2.loads(tf.read_text()).get("locals", []):
            out.update(block)
    return out


def expand_locals(values: list, local_values: dict) -> list:
    out = []
    for v in values:
        m = re.fullmatch(r"\$\{local\.(\w+)\}", v) if isinstance(v, str) else None
        if m and isinstance(local_values.get(m.group(1)), list):
            out.extend(flat(local_values[m.group(1)]))
        else:
            out.append(v)
    return out


def policy_documents(repo: Path):
    for tf in sorted((repo / "infra").glob("*.tf")):
        text = tf.read_text()
        parsed = hcl2.loads(text)
        for block in parsed.get("data", []):
            for name, doc in block.get("aws_iam_policy_document", {}).items():
                yield tf, text, name, doc


def key_policy_docs(repo: Path) -> set[str]:
    names = set()
    for tf in sorted((repo / "infra").glob("*.tf")):
        for m in re.finditer(r"policy\s*=\s*data\.aws_iam_policy_document\.(\w+)\.json", tf.read_text()):
            # Only those attached to an aws_kms_key.
            block_start = tf.read_text().rfind("resource ", 0, m.start())
            if tf.read_text()[block_start:].startswith('resource "aws_kms_key"'):
                names.add(m.group(1))
    return names


def star_statement_has_comment(text: str, sid: str | None) -> bool:
    """A comment sits inside the statement, or on the lines right above it."""
    if not sid:
        return False
    i = text.find(f'"{sid}"')
    if i < 0:
        return False
    start = text.rfind("statement {", 0, i)
    before = text[:start].splitlines()[-3:]
    block = text[start : text.find("\n  }", i)]
    return any(line.strip().startswith("#") for line in before + block.splitlines())


def check_hcl(repo: Path) -> None:
    key_docs = key_policy_docs(repo)
    local_values = hcl_locals(repo)
    check(len(key_docs) >= 1, f"infra/: found no aws_kms_key policy documents ({key_docs})")
    n_docs = n_trust = 0
    for tf, text, name, doc in policy_documents(repo):
        n_docs += 1
        where = f"{tf.relative_to(repo)}: data.aws_iam_policy_document.{name}"
        statements = doc.get("statement", [])
        is_trust = any("sts:AssumeRole" in flat(s.get("actions", [])) for s in statements)
        if is_trust:
            n_trust += 1
            check_trust(where, name, text, statements)
        for st in statements:
            sid = first(st.get("sid"))
            effect = first(st.get("effect")) or "Allow"
            actions = expand_locals(flat(st.get("actions", [])), local_values)
            resources = flat(st.get("resources", []))
            conditions = st.get("condition", [])
            swhere = f"{where} statement {sid or '(no sid)'}"
            check(bool(actions), f"{swhere}: no actions listed")
            if effect == "Deny":
                continue
            for a in actions:
                check("*" not in a, f"{swhere}: wildcard action {a!r}; list the actions explicitly")
                if "*" not in a:
                    check(privilege(a) is not None, f"{swhere}: {a!r} is not an action in AWS's IAM reference")
            if is_trust:
                continue
            decided = (str(tf.relative_to(repo)), name, sid) in DECIDED_STAR
            if "*" in resources and name not in key_docs:
                for a in actions:
                    check(needs_star(a) or bool(conditions) or decided,
                          f"{swhere}: {a!r} supports resource-level permissions; name this stack's ARNs instead of \"*\"")
                check(star_statement_has_comment(text, sid), f"{swhere}: \"*\" resource without a comment saying why AWS requires it")
            if "iam:PassRole" in actions:
                check(sorted(resources) == ["${aws_iam_role.execution.arn}", "${aws_iam_role.task.arn}"],
                      f"{swhere}: iam:PassRole must name only the two ECS roles, not {resources}")
                passed_to = [c for c in conditions if first(c.get("variable")) == "iam:PassedToService"]
                check(len(passed_to) == 1 and flat(passed_to[0].get("values")) == ["ecs-tasks.amazonaws.com"],
                      f"{swhere}: iam:PassRole must be conditioned on iam:PassedToService = ecs-tasks.amazonaws.com")
    check(n_docs >= 10, f"infra/: found only {n_docs} aws_iam_policy_document blocks")
    check(n_trust == len(TRUST), f"infra/: {n_trust} trust policies, TRUST lists {len(TRUST)}")
    print(f"check_iam: {n_trust} trust policies carry only the conditions AWS documents (sources cited)")
    check_removed(repo)
    check_decisions(repo)
    print(f"check_iam: {n_docs} policy documents read from infra/*.tf")


def check_decisions(repo: Path) -> None:
    """Each decision holds: same actions, same resources, no condition that could narrow
    it again, and a comment that says why with a source."""
    for (file, doc_name, sid), (want_actions, want_resources, reason) in DECISIONS.items():
        where = f"{file}: data.aws_iam_policy_document.{doc_name} statement {sid}"
        path = repo / file
        text = path.read_text() if path.exists() else ""
        found = None
        for block in hcl2.loads(text).get("data", []) if text else []:
            doc = block.get("aws_iam_policy_document", {}).get(doc_name)
            for st in (doc or {}).get("statement", []):
                if first(st.get("sid")) == sid:
                    found = st
        check(found is not None, f"{where}: missing (decision: {reason})")
        if found is None:
            continue
        check(sorted(flat(found.get("actions", []))) == sorted(want_actions),
              f"{where}: actions {flat(found.get('actions', []))}, want {want_actions} (decision: {reason})")
        check(flat(found.get("resources", [])) == want_resources,
              f"{where}: resources {flat(found.get('resources', []))}, want {want_resources} (decision: {reason})")
        check(not found.get("condition"), f"{where}: a condition narrows it again (decision: {reason})")
        comment = "\n".join(l for l in statement_text(text, sid).splitlines() if l.strip().startswith("#"))
        check("on purpose" in comment.lower() and ("http" in comment.lower() or "reference" in comment.lower()),
              f"{where}: the comment must say why (\"on purpose\", the reason) and name its source")
    print(f"check_iam: {len(DECISIONS)} scope decisions hold")


# ---------------------------------------------------------------- rendered policies (state)

# parliament findings that do not apply to what they flag here.
IGNORED_FINDINGS = {
    # Key policies name the key as "*"; trust policies have no resource.
    ("key", "RESOURCE_STAR"),
    ("trust", "RESOURCE_STAR"),
    # Trust policies have a principal and no resource by design.
    ("trust", "MALFORMED"),
}


def listener_type_quirk(finding, text: str) -> bool:
    """parliament reports RESOURCE_MISMATCH for elasticloadbalancing:ModifyListener on NLB
    listener ARNs (listener/net/...), asking for the ALB form (listener/app/...): its copy of
    the IAM reference lists both resource types and flags the one not named. AWS accepts
    either form for the action. Ignored only when every resource named is an NLB listener."""
    if finding.issue != "RESOURCE_MISMATCH":
        return False
    details = finding.detail if isinstance(finding.detail, list) else [finding.detail]
    if not all(isinstance(d, dict) and d.get("action") == "elasticloadbalancing:ModifyListener"
               and ":listener/app/" in d.get("required_format", "") for d in details):
        return False
    for st in json.loads(text).get("Statement", []):
        actions = st.get("Action", [])
        if "elasticloadbalancing:ModifyListener" in (actions if isinstance(actions, list) else [actions]):
            res = st.get("Resource", [])
            return all(":listener/net/" in r for r in (res if isinstance(res, list) else [res]))
    return False


# Actions parliament's copy of the IAM reference lists without a resource type, which the hook
# grants on the deployment group on purpose (DECISIONS, ReadTheDeploymentReportTheHook):
# CodeDeploy's permissions reference gives the deployment group's ARN for them
# (https://docs.aws.amazon.com/codedeploy/latest/userguide/auth-and-access-control-permissions-reference.html)
# and AWS CDK's LambdaDeploymentGroup grants the hook status on it.
DEPLOYMENT_GROUP_ACTIONS = {"codedeploy:GetDeploymentTarget", "codedeploy:ListDeploymentTargets",
                            "codedeploy:PutLifecycleEventHookExecutionStatus"}


def deployment_group_scope_quirk(finding, text: str) -> bool:
    """parliament asks for "*" (RESOURCE_MISMATCH, required_format "*") for the three actions
    above; ignored only when every statement granting them names deployment groups only."""
    if finding.issue != "RESOURCE_MISMATCH":
        return False
    details = finding.detail if isinstance(finding.detail, list) else [finding.detail]
    if not all(isinstance(d, dict) and d.get("action") in DEPLOYMENT_GROUP_ACTIONS
               and d.get("required_format") == "*" for d in details):
        return False
    for st in json.loads(text).get("Statement", []):
        actions = st.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if DEPLOYMENT_GROUP_ACTIONS & set(actions):
            res = st.get("Resource", [])
            if not all(":codedeploy:" in r and ":deploymentgroup:" in r for r in (res if isinstance(res, list) else [res])):
                return False
    return True


def check_state(state: dict) -> None:
    docs: list[tuple[str, str, str]] = []
    for r in state.get("values", {}).get("root_module", {}).get("resources", []):
        v = r["values"]
        if r["type"] == "aws_iam_role_policy":
            docs.append((r["address"], "identity", v["policy"]))
        elif r["type"] == "aws_iam_role":
            docs.append((r["address"], "trust", v["assume_role_policy"]))
        elif r["type"] == "aws_kms_key":
            docs.append((r["address"], "key", v["policy"]))
    check(len(docs) >= 8, f"state: expected the applied roles, policies and keys, found {[d[0] for d in docs]}")
    for address, kind, text in docs:
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            failures.append(f"state: {address}: policy is not JSON: {e}")
            continue
        # moto gives a network load balancer the ARN form of an application one
        # (loadbalancer/app/..., listener/app/...); AWS writes net/. Lint the AWS form.
        text = text.replace(":listener/app/", ":listener/net/").replace(":loadbalancer/app/", ":loadbalancer/net/")
        policy = parliament.analyze_policy_string(text)
        findings = [f for f in policy.findings if (kind, f.issue) not in IGNORED_FINDINGS
                    and not (f.issue == "RESOURCE_STAR" and set(f.detail) <= DECIDED_STAR_ACTIONS)
                    and not listener_type_quirk(f, text) and not deployment_group_scope_quirk(f, text)]
        check(not findings, f"state: {address} ({kind} policy): parliament: "
              + "; ".join(f"{f.issue} {f.detail} {f.location or ''}" for f in findings))
    print(f"check_iam: parliament linted {len(docs)} rendered policies from the moto state")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, required=True)
    ap.add_argument("--state", type=Path, help="terraform show -json of the state after the partial apply")
    args = ap.parse_args()
    check_hcl(args.repo)
    if args.state:
        check_state(json.loads(args.state.read_text()))
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    print(f"check_iam: {passed} checks passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
