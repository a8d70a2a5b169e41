#!/usr/bin/env python3
"""Checks a Terraform plan (and an applied state) of infra/ against the repo.

Run by scripts/checks/infra.sh after `terraform plan` against moto and the first deploy of
infra/tests/first_deploy.sh (its state):

    check_plan.py --repo . --plan plan.json --state state.json [--expect-private-tasks]

What it checks (each failure names the file, field and both values):
- the plan is complete and creates every resource of the configuration (nothing else);
- one source of truth: container name and port, task family, target group names, listener
  port and health path agree between taskdef.json, appspec.yaml, the app's default PORT,
  docs/CONTRACTS.md and the values Terraform planned;
- outputs: exactly the names docs/CONTRACTS.md lists (plus extras), with its types;
- the first task definition revision that Terraform registered is taskdef.json with the
  stack's values in place of the placeholders (read from the state after apply).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

failures: list[str] = []
passed = 0


def check(cond: bool, msg: str) -> bool:
    global passed
    if cond:
        passed += 1
    else:
        failures.append(msg)
    return cond


def equal(where: str, got, want) -> bool:
    return check(got == want, f"{where}: got {got!r}, expected {want!r}")


# ---------------------------------------------------------------- repo sources


def load_taskdef(repo: Path) -> dict:
    path = repo / "taskdef.json"
    try:
        td = json.loads(path.read_text())
    except FileNotFoundError:
        sys.exit(f"check_plan: {path} is missing (the task definition template at the repo root)")
    except json.JSONDecodeError as e:
        sys.exit(f"check_plan: {path} is not valid JSON: {e}")
    lb = [c for c in td.get("containerDefinitions", []) if c.get("portMappings")]
    if len(lb) != 1:
        sys.exit(f"check_plan: {path}: expected exactly one container with portMappings, found {len(lb)}")
    return td


def lb_container(td: dict) -> dict:
    return next(c for c in td["containerDefinitions"] if c.get("portMappings"))


def load_appspec(repo: Path) -> dict:
    path = repo / "appspec.yaml"
    try:
        spec = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        sys.exit(f"check_plan: {path} is missing (the CodeDeploy AppSpec template at the repo root)")
    try:
        props = spec["Resources"][0]["TargetService"]["Properties"]
        return props["LoadBalancerInfo"]
    except (KeyError, IndexError, TypeError) as e:
        sys.exit(f"check_plan: {path}: no Resources[0].TargetService.Properties.LoadBalancerInfo ({e!r})")


def app_default_port(repo: Path) -> int:
    """The default of the app's PORT variable, read from its source."""
    patterns = [
        re.compile(r'"PORT"\s*,\s*(\d+)'),  # env.parse_or("PORT", 3000, ...)
        re.compile(r"DEFAULT_PORT\s*:\s*u16\s*=\s*(\d+)"),  # const DEFAULT_PORT: u16 = 3000;
    ]
    found: dict[int, list[str]] = {}
    for rs in sorted((repo / "app" / "src").rglob("*.rs")):
        text = rs.read_text()
        for pat in patterns:
            for m in pat.finditer(text):
                found.setdefault(int(m.group(1)), []).append(str(rs.relative_to(repo)))
    if not found:
        sys.exit(
            "check_plan: cannot find the app's default port in app/src "
            '(looked for `"PORT", <n>` and `DEFAULT_PORT: u16 = <n>`); update infra/tests/check_plan.py'
        )
    if len(found) > 1:
        failures.append(f"app/src: the PORT default is not unique: {found}")
    return next(iter(found))


def contract_outputs(repo: Path) -> tuple[list[str], set[str]]:
    """Output names and the ones typed number, from docs/CONTRACTS.md's outputs section."""
    text = (repo / "docs" / "CONTRACTS.md").read_text()
    m = re.search(r"^## `terraform output -json`.*?\n(.*?)(?=^## )", text, re.S | re.M)
    if not m:
        sys.exit("check_plan: docs/CONTRACTS.md has no '## `terraform output -json`' section")
    body = m.group(1)
    # The list starts after the line describing the value shape.
    names_part = body.split('"value": ...}`:', 1)[-1]
    names = re.findall(r"`([a-z_][a-z0-9_]*)`(?:\s*\(number\))?", names_part)
    numbers = set(re.findall(r"`([a-z_][a-z0-9_]*)`\s*\(number\)", names_part))
    if len(names) < 10:
        sys.exit(f"check_plan: docs/CONTRACTS.md outputs section lists only {names}")
    return names, numbers


def contract_codebuild_env(repo: Path) -> list[str]:
    """The variables infra/ must set, from docs/CONTRACTS.md (before CodeBuild's own)."""
    text = (repo / "docs" / "CONTRACTS.md").read_text()
    m = re.search(r"^## CodeBuild environment.*?\n(.*?)(?:plus CodeBuild|^## |\Z)", text, re.S | re.M)
    if not m:
        sys.exit("check_plan: docs/CONTRACTS.md has no '## CodeBuild environment' section")
    return sorted(re.findall(r"`([A-Z][A-Z0-9_]*)`", m.group(1)))


def contract_table(repo: Path) -> dict[str, str]:
    rows = {}
    for line in (repo / "docs" / "CONTRACTS.md").read_text().splitlines():
        m = re.match(r"\|\s*([^|]+?)\s*\|\s*(.+?)\s*\|$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


# ---------------------------------------------------------------- plan helpers


def resource_changes(plan: dict) -> dict[str, dict]:
    return {rc["address"]: rc for rc in plan["resource_changes"] if rc["mode"] == "managed"}


def after(changes: dict, address: str) -> dict:
    rc = changes.get(address)
    if rc is None:
        failures.append(f"plan: no change planned for {address}")
        return {}
    return rc["change"]["after"] or {}


def check_complete(plan: dict, changes: dict, every_resource: bool = True) -> None:
    check(plan.get("errored") is False, f"plan: errored={plan.get('errored')!r}")
    check(plan.get("complete", True) is True, f"plan: complete={plan.get('complete')!r}")
    configured = [
        r["address"] for r in plan["configuration"]["root_module"].get("resources", []) if r["mode"] == "managed"
    ]
    planned = {}
    for addr, rc in changes.items():
        base = re.sub(r"\[[^\]]*\]$", "", addr)
        planned.setdefault(base, []).append(rc["change"]["actions"])
    for addr in configured if every_resource else planned:
        if check(addr in planned, f"plan: {addr} is in the configuration but not planned (count/for_each 0?)"):
            for actions in planned[addr]:
                equal(f"plan: actions of {addr}", actions, ["create"])
    for addr in planned:
        check(addr in configured, f"plan: {addr} planned but not in the root module's configuration")
    print(f"check_plan: {len(changes)} resource instances of {len(configured)} configured resources planned")


# ---------------------------------------------------------------- the checks


def check_consistency(repo: Path, plan: dict, changes: dict, expect_private: bool) -> None:
    td = load_taskdef(repo)
    c = lb_container(td)
    name, port = c["name"], c["portMappings"][0]["containerPort"]
    proto = c["portMappings"][0].get("protocol", "tcp")
    table = contract_table(repo)
    outputs = {k: v.get("value") for k, v in plan["planned_values"].get("outputs", {}).items()}
    stack = outputs.get("service_name")

    # taskdef.json against the contract and the app.
    equal("taskdef.json: container name vs docs/CONTRACTS.md", name, table["container name"].strip("`"))
    equal("taskdef.json: containerPort vs the app's default PORT (app/src)", port, app_default_port(repo))
    equal("taskdef.json: portMappings[0].protocol", proto, "tcp")
    equal("taskdef.json: family vs docs/CONTRACTS.md", td.get("family"), table["task definition family"].strip("`"))
    for ph in ("<IMAGE1_NAME>", "<EXECUTION_ROLE_ARN>", "<TASK_ROLE_ARN>", "<LOG_GROUP>", "<AWS_REGION>"):
        check(ph in json.dumps(td), f"taskdef.json: placeholder {ph} missing (the pipeline and infra/ecs.tf fill it in)")

    # appspec.yaml against taskdef.json.
    lbi = load_appspec(repo)
    equal("appspec.yaml: LoadBalancerInfo.ContainerName vs taskdef.json", lbi.get("ContainerName"), name)
    equal("appspec.yaml: LoadBalancerInfo.ContainerPort vs taskdef.json", lbi.get("ContainerPort"), port)

    # Terraform's planned values against both.
    equal("plan: output container_name vs taskdef.json", outputs.get("container_name"), name)
    equal("plan: output container_port vs taskdef.json", outputs.get("container_port"), port)
    equal("plan: output task_family vs taskdef.json", outputs.get("task_family"), td["family"])

    svc = after(changes, "aws_ecs_service.app")
    lb = (svc.get("load_balancer") or [{}])[0]
    equal("plan: aws_ecs_service.app load_balancer.container_name", lb.get("container_name"), name)
    equal("plan: aws_ecs_service.app load_balancer.container_port", lb.get("container_port"), port)
    equal("plan: aws_ecs_service.app deployment_controller", svc.get("deployment_controller"), [{"type": "CODE_DEPLOY"}])
    equal("plan: aws_ecs_service.app launch_type", svc.get("launch_type"), "FARGATE")
    equal("plan: aws_ecs_service.app name vs docs/CONTRACTS.md", svc.get("name"), table["ECS cluster / service"].split("/")[-1].strip(" `"))
    net = (svc.get("network_configuration") or [{}])[0]
    equal("plan: aws_ecs_service.app assign_public_ip (tasks private iff NAT or endpoints)", net.get("assign_public_ip"), not expect_private)
    equal("plan: output tasks_in_private_subnets", outputs.get("tasks_in_private_subnets"), expect_private)

    # The validation hook: the function appspec.yaml names at AfterAllowTestTraffic is the one
    # docs/CONTRACTS.md names and the one Terraform creates (CodeDeploy fails every deployment
    # whose hook function does not exist), packaged as the hook's image.
    appspec = yaml.safe_load((repo / "appspec.yaml").read_text())
    hooks = [h["AfterAllowTestTraffic"] for h in appspec.get("Hooks", []) if "AfterAllowTestTraffic" in h]
    contract_hook = table.get("validation hook function", "").split("`")[1] if "`" in table.get("validation hook function", "") else None
    equal("appspec.yaml: Hooks AfterAllowTestTraffic vs docs/CONTRACTS.md", hooks, [contract_hook])
    fn = after(changes, "aws_lambda_function.hook")
    equal("plan: aws_lambda_function.hook function_name vs appspec.yaml", fn.get("function_name"), contract_hook)
    equal("plan: output hook_function_name", outputs.get("hook_function_name"), contract_hook)
    equal("plan: aws_lambda_function.hook package_type", fn.get("package_type"), "Image")
    env = ((fn.get("environment") or [{}])[0].get("variables") or {})
    equal("plan: aws_lambda_function.hook environment (the hook's settings)", sorted(env),
          ["HOOK_MAX_P99_RATIO", "HOOK_P99_FLOOR_MS", "HOOK_PATH", "HOOK_REQUESTS_PER_TASK", "HOOK_REQUEST_TIMEOUT_MS"])

    td_plan = after(changes, "aws_ecs_task_definition.initial")
    equal("plan: aws_ecs_task_definition.initial family", td_plan.get("family"), td["family"])
    equal("plan: aws_ecs_task_definition.initial cpu", td_plan.get("cpu"), str(td.get("cpu")))
    equal("plan: aws_ecs_task_definition.initial memory", td_plan.get("memory"), str(td.get("memory")))
    equal("plan: aws_ecs_task_definition.initial network_mode", td_plan.get("network_mode"), td.get("networkMode"))

    contract_tgs = [t.strip(" `()") for t in re.findall(r"`[^`]+`", table["target groups"])]
    health_path = table["health path"].strip("`")
    for colour, want_name in zip(("blue", "green"), contract_tgs):
        tg = after(changes, f'aws_lb_target_group.app["{colour}"]')
        where = f'plan: aws_lb_target_group.app["{colour}"]'
        equal(f"{where} name vs docs/CONTRACTS.md", tg.get("name"), want_name)
        equal(f"{where} port vs taskdef.json", tg.get("port"), port)
        equal(f"{where} protocol", tg.get("protocol"), "TCP")
        equal(f"{where} target_type", tg.get("target_type"), "ip")
        hc = (tg.get("health_check") or [{}])[0]
        equal(f"{where} health_check.protocol", hc.get("protocol"), "HTTP")
        equal(f"{where} health_check.path vs docs/CONTRACTS.md", hc.get("path"), health_path)
        check(int(tg.get("deregistration_delay", 300)) <= 60, f"{where} deregistration_delay {tg.get('deregistration_delay')} s: too slow a switch")
        equal(f"plan: output target_group_{colour}_name", outputs.get(f"target_group_{colour}_name"), want_name)

    listener_port = int(re.search(r"TCP `(\d+)`", table["NLB listener"]).group(1))
    lsn = after(changes, "aws_lb_listener.production")
    equal("plan: aws_lb_listener.production port vs docs/CONTRACTS.md", lsn.get("port"), listener_port)
    equal("plan: aws_lb_listener.production protocol", lsn.get("protocol"), "TCP")
    nlb = after(changes, "aws_lb.main")
    equal("plan: aws_lb.main load_balancer_type", nlb.get("load_balancer_type"), "network")
    equal("plan: aws_lb.main enable_cross_zone_load_balancing", nlb.get("enable_cross_zone_load_balancing"), True)
    check(
        "security_groups" in (changes["aws_lb.main"]["change"]["after_unknown"] or {}) or nlb.get("security_groups"),
        "plan: aws_lb.main has no security group (an NLB accepts one only at creation)",
    )

    for addr, want_from in (
        ("aws_vpc_security_group_ingress_rule.tasks_from_nlb", port),
        ("aws_vpc_security_group_egress_rule.nlb_to_tasks", port),
    ):
        rule = after(changes, addr)
        equal(f"plan: {addr} from_port vs taskdef.json", rule.get("from_port"), want_from)
        equal(f"plan: {addr} to_port vs taskdef.json", rule.get("to_port"), want_from)
        check(rule.get("cidr_ipv4") is None, f"plan: {addr} must reference a security group, not {rule.get('cidr_ipv4')}")
    for addr, rc in changes.items():
        if addr.startswith("aws_vpc_security_group_ingress_rule.nlb_listener["):
            equal(f"plan: {addr} port vs the listener", rc["change"]["after"].get("from_port"), listener_port)

    dg = after(changes, "aws_codedeploy_deployment_group.app")
    equal(
        "plan: aws_codedeploy_deployment_group.app deployment_config_name vs docs/CONTRACTS.md",
        dg.get("deployment_config_name"),
        table["CodeDeploy deployment config"].split("`")[1],
    )
    pair = dg.get("load_balancer_info", [{}])[0].get("target_group_pair_info", [{}])[0]
    equal("plan: CodeDeploy target_group_pair_info target groups", [t["name"] for t in pair.get("target_group", [])], contract_tgs)
    equal("plan: CodeDeploy ecs_service", dg.get("ecs_service"), [{"cluster_name": stack, "service_name": stack}])
    rb = dg.get("auto_rollback_configuration", [{}])[0]
    check(rb.get("enabled") is True and "DEPLOYMENT_FAILURE" in rb.get("events", []) and "DEPLOYMENT_STOP_ON_ALARM" in rb.get("events", []),
          f"plan: CodeDeploy auto rollback must cover failures and alarms: {rb}")
    equal("plan: CodeDeploy deployment_style", dg.get("deployment_style"), [{"deployment_option": "WITH_TRAFFIC_CONTROL", "deployment_type": "BLUE_GREEN"}])
    alarms = dg.get("alarm_configuration", [{}])[0]
    # The two unhealthy-hosts alarms (one per target group) and the service's 5xx alarm.
    equal("plan: CodeDeploy alarm_configuration alarms", sorted(alarms.get("alarms", [])),
          sorted([f"{stack}-blue-unhealthy-hosts", f"{stack}-green-unhealthy-hosts", f"{stack}-http-5xx"]))
    check(alarms.get("enabled") is True, f"plan: CodeDeploy alarm_configuration must be enabled: {alarms}")

    cb = after(changes, "aws_codebuild_project.app")
    env = cb.get("environment", [{}])[0]
    names = sorted(v["name"] for v in env.get("environment_variable", []))
    want_env = contract_codebuild_env(repo)
    check(len(want_env) >= 1, "docs/CONTRACTS.md: no variables in the CodeBuild environment section")
    equal("plan: CodeBuild environment variables vs docs/CONTRACTS.md", names, want_env)
    buildspec = (repo / "buildspec.yml").read_text()
    for n in want_env:
        check(n in buildspec, f"buildspec.yml does not use {n}, which infra/ sets for it (docs/CONTRACTS.md)")
    equal("plan: CodeBuild privileged_mode (docker build)", env.get("privileged_mode"), True)

    pipe = after(changes, "aws_codepipeline.app")
    equal("plan: aws_codepipeline.app pipeline_type", pipe.get("pipeline_type"), "V2")
    stages = {s["name"]: s["action"][0] for s in pipe.get("stage", [])}
    equal("plan: pipeline stages", list(stages), ["Source", "Build", "Deploy"])
    equal("plan: Source provider", stages.get("Source", {}).get("provider"), "CodeStarSourceConnection")
    deploy = stages.get("Deploy", {})
    equal("plan: Deploy provider", deploy.get("provider"), "CodeDeployToECS")
    cfg = deploy.get("configuration", {})
    equal("plan: Deploy TaskDefinitionTemplatePath", cfg.get("TaskDefinitionTemplatePath"), "taskdef.json")
    equal("plan: Deploy AppSpecTemplatePath", cfg.get("AppSpecTemplatePath"), "appspec.yaml")
    check(f"<{cfg.get('Image1ContainerName')}>" in json.dumps(td),
          f"plan: Deploy Image1ContainerName {cfg.get('Image1ContainerName')!r} has no <...> placeholder in taskdef.json")

    # Outputs: the contract's names and types.
    names, numbers = contract_outputs(repo)
    planned_outputs = set(plan["configuration"]["root_module"].get("outputs", {}))
    for n in names:
        check(n in planned_outputs, f"infra/outputs.tf: output {n!r} (docs/CONTRACTS.md) is missing")
    for n, v in outputs.items():
        if n in numbers:
            check(isinstance(v, (int, float)) and not isinstance(v, bool), f"plan: output {n} must be a number, got {v!r}")
    fixture = repo / "deployer" / "tests" / "fixtures" / "terraform-outputs.json"
    if fixture.exists():
        fx = json.loads(fixture.read_text())
        for n, v in fx.items():
            check(n in planned_outputs, f"{fixture.relative_to(repo)}: output {n!r} is not produced by infra/outputs.tf")
            # Outputs known only after apply (ARNs, DNS names) have no planned value.
            if outputs.get(n) is not None and v.get("type") in ("string", "number"):
                want = str if v["type"] == "string" else (int, float)
                check(isinstance(outputs[n], want), f"plan: output {n} is {outputs[n]!r}; the fixture types it {v['type']}")


def check_state(repo: Path, state: dict) -> None:
    """The first revision Terraform registered (moto) is taskdef.json, placeholders filled."""
    res = {r["address"]: r["values"] for r in state.get("values", {}).get("root_module", {}).get("resources", [])}
    tdr = res.get("aws_ecs_task_definition.initial")
    if not check(tdr is not None, "state: aws_ecs_task_definition.initial is not in the applied state"):
        return
    td = load_taskdef(repo)
    ecr = res["aws_ecr_repository.app"]["repository_url"]
    execution = res["aws_iam_role.execution"]["arn"]
    task = res["aws_iam_role.task"]["arn"]
    log_group = res["aws_cloudwatch_log_group.app"]["name"]
    region = state["values"]["outputs"]["region"]["value"] if "region" in state["values"].get("outputs", {}) else None
    check(execution != task, f"state: execution role {execution} and task role {task} must differ")
    equal("state: task definition execution_role_arn", tdr["execution_role_arn"], execution)
    equal("state: task definition task_role_arn", tdr["task_role_arn"], task)

    got = json.loads(tdr["container_definitions"])
    want = json.loads(
        json.dumps(td["containerDefinitions"])
        .replace("<IMAGE1_NAME>", f"{ecr}:initial")
        .replace("<EXECUTION_ROLE_ARN>", execution)
        .replace("<TASK_ROLE_ARN>", task)
        .replace("<LOG_GROUP>", log_group)
        .replace("<AWS_REGION>", region or "<AWS_REGION>")
    )
    check("<" not in tdr["container_definitions"] or not re.search(r"<[A-Z0-9_]+>", tdr["container_definitions"]),
          "state: a placeholder is left in the registered container definitions")
    equal("state: number of containers", len(got), len(want))
    by_name = {c["name"]: c for c in got}
    for w in want:
        g = by_name.get(w["name"], {})
        for key, value in w.items():
            # ECS normalises some fields (adds hostPort and defaults); compare what taskdef.json says.
            gv = g.get(key)
            if key == "portMappings":
                gv = [{k: m.get(k) for k in pm} for m, pm in zip(gv or [], value)]
            if key == "environment" and isinstance(gv, list):
                gv, value = sorted(gv, key=lambda e: e["name"]), sorted(value, key=lambda e: e["name"])
            equal(f"state: container {w['name']!r} field {key!r} vs taskdef.json", gv, value)


def check_autoscaling(repo: Path, plan: dict, changes: dict) -> None:
    """The service's autoscaling: its scalable target (min = desired_count, max = max_count, the
    service-linked role), CPU target tracking, and the service ignoring desired_count."""
    variables = {k: v.get("value") for k, v in plan.get("variables", {}).items()}
    target = after(changes, "aws_appautoscaling_target.service")
    equal("plan: scalable target namespace", target.get("service_namespace"), "ecs")
    equal("plan: scalable target dimension", target.get("scalable_dimension"), "ecs:service:DesiredCount")
    equal("plan: scalable target resource_id", target.get("resource_id"), "service/demo/demo")
    equal("plan: scalable target min_capacity = desired_count", target.get("min_capacity"), variables.get("desired_count"))
    equal("plan: scalable target max_capacity = max_count", target.get("max_capacity"), variables.get("max_count"))
    # No role_arn in the configuration: the ECS service-linked role (least privilege, AWS-managed).
    config = {r["address"]: r for r in plan["configuration"]["root_module"].get("resources", [])}
    expr = config.get("aws_appautoscaling_target.service", {}).get("expressions", {})
    check("role_arn" not in expr, "infra/autoscaling.tf: the scalable target sets role_arn (use the service-linked role)")
    policy = after(changes, "aws_appautoscaling_policy.cpu")
    equal("plan: scaling policy type", policy.get("policy_type"), "TargetTrackingScaling")
    tt = (policy.get("target_tracking_scaling_policy_configuration") or [{}])[0]
    metric = (tt.get("predefined_metric_specification") or [{}])[0]
    equal("plan: scaling policy metric", metric.get("predefined_metric_type"), "ECSServiceAverageCPUUtilization")
    equal("plan: scaling policy target", tt.get("target_value"), variables.get("autoscaling_cpu_target"))
    # ignore_changes is not in the plan JSON: read it from the HCL.
    ecs_tf = (repo / "infra" / "ecs.tf").read_text()
    m = re.search(r'resource "aws_ecs_service" "app".*?ignore_changes\s*=\s*\[([^\]]*)\]', ecs_tf, re.S)
    check(
        bool(m) and "desired_count" in m.group(1),
        "infra/ecs.tf: aws_ecs_service.app must ignore_changes desired_count (auto scaling owns it)",
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, required=True)
    ap.add_argument("--plan", type=Path, required=True, help="terraform show -json of the full plan")
    ap.add_argument("--state", type=Path, help="terraform show -json of the applied state (infra/tests/first_deploy.sh --state-out)")
    ap.add_argument("--expect-private-tasks", action="store_true", help="the plan has NAT or VPC endpoints on")
    ap.add_argument("--only-complete", action="store_true", help="check completeness and task placement only")
    args = ap.parse_args()

    plan = json.loads(args.plan.read_text())
    changes = resource_changes(plan)
    check_complete(plan, changes, every_resource=not args.only_complete)
    if args.only_complete:
        outputs = {k: v.get("value") for k, v in plan["planned_values"].get("outputs", {}).items()}
        svc = after(changes, "aws_ecs_service.app")
        net = (svc.get("network_configuration") or [{}])[0]
        equal("plan: aws_ecs_service.app assign_public_ip", net.get("assign_public_ip"), not args.expect_private_tasks)
        equal("plan: output tasks_in_private_subnets", outputs.get("tasks_in_private_subnets"), args.expect_private_tasks)
    else:
        check_consistency(args.repo, plan, changes, args.expect_private_tasks)
        check_autoscaling(args.repo, plan, changes)
    if args.state:
        check_state(args.repo, json.loads(args.state.read_text()))

    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    print(f"check_plan: {passed} checks passed, {len(failures)} failed ({args.plan.name})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
