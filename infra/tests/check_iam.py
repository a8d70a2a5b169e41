#!/usr/bin/env python3
"""Least-privilege checks of the IAM policies in infra/ (run by scripts/checks/infra.sh).

    check_iam.py --repo . [--state state.json]

From the HCL (every data "aws_iam_policy_document", parsed with python-hcl2):
- every action exists in AWS's IAM reference (parliament's copy of it) and none is a wildcard;
- "Resource": "*" only for actions that have no resource-level permissions in AWS, or with a
  condition that scopes them, and with a comment that says why; key policies are exempt
  (there "*" means the key itself);
- iam:PassRole only for the two ECS roles, conditioned on ecs-tasks.amazonaws.com;
- each trust policy is conditioned on this account (aws:SourceAccount).
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
    n_docs = 0
    for tf, text, name, doc in policy_documents(repo):
        n_docs += 1
        where = f"{tf.relative_to(repo)}: data.aws_iam_policy_document.{name}"
        statements = doc.get("statement", [])
        is_trust = any("sts:AssumeRole" in flat(s.get("actions", [])) for s in statements)
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
                keys = {first(c.get("variable")) for c in conditions}
                check("aws:SourceAccount" in keys, f"{swhere}: trust policy without an aws:SourceAccount condition")
                continue
            if "*" in resources and name not in key_docs:
                for a in actions:
                    check(needs_star(a) or bool(conditions),
                          f"{swhere}: {a!r} supports resource-level permissions; name this stack's ARNs instead of \"*\"")
                check(star_statement_has_comment(text, sid), f"{swhere}: \"*\" resource without a comment saying why AWS requires it")
            if "iam:PassRole" in actions:
                check(sorted(resources) == ["${aws_iam_role.execution.arn}", "${aws_iam_role.task.arn}"],
                      f"{swhere}: iam:PassRole must name only the two ECS roles, not {resources}")
                passed_to = [c for c in conditions if first(c.get("variable")) == "iam:PassedToService"]
                check(len(passed_to) == 1 and flat(passed_to[0].get("values")) == ["ecs-tasks.amazonaws.com"],
                      f"{swhere}: iam:PassRole must be conditioned on iam:PassedToService = ecs-tasks.amazonaws.com")
    check(n_docs >= 10, f"infra/: found only {n_docs} aws_iam_policy_document blocks")
    print(f"check_iam: {n_docs} policy documents read from infra/*.tf")


# ---------------------------------------------------------------- rendered policies (state)

# parliament findings that do not apply to what they flag here.
IGNORED_FINDINGS = {
    # Key policies name the key as "*"; trust policies have no resource.
    ("key", "RESOURCE_STAR"),
    ("trust", "RESOURCE_STAR"),
    # Trust policies have a principal and no resource by design.
    ("trust", "MALFORMED"),
}


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
        policy = parliament.analyze_policy_string(text)
        findings = [f for f in policy.findings if (kind, f.issue) not in IGNORED_FINDINGS]
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
