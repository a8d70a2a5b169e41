"""Which operations of each emulated service the local stack serves, asked of a running
stack itself: for every operation in AWS's own service model (botocore's), one request with
an empty input; an answer that says the operation is not served (UnknownOperationException,
InvalidAction, "... is not served by the local stack") counts it out, any other answer
(a result, or a validation error about the empty input) counts it in. So the page cannot
drift from what the router actually dispatches. Prints markdown on stdout.

    python3 scripts/docs/emulated-operations.py http://127.0.0.1:4599

Run by deployer/tests/suite/emulated_operations.rs (which writes docs/emulated-operations.md
with UPDATE_REFERENCE=1 and otherwise compares).
"""

import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import botocore.session

SERVICES = [
    ("ecs", "Amazon ECS"),
    ("codedeploy", "AWS CodeDeploy"),
    ("elbv2", "Elastic Load Balancing v2"),
    ("ecr", "Amazon ECR"),
    ("iam", "AWS IAM"),
    ("logs", "Amazon CloudWatch Logs"),
    ("cloudwatch", "Amazon CloudWatch"),
    ("application-autoscaling", "Application Auto Scaling"),
    ("codepipeline", "AWS CodePipeline"),
    ("codebuild", "AWS CodeBuild"),
    ("sts", "AWS STS"),
    ("lambda", "AWS Lambda"),
]
NOT_SERVED_CODES = {"UnknownOperationException", "InvalidAction"}


def call(endpoint, model, op):
    meta = model.metadata
    scope = f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{meta['signingName'] if 'signingName' in meta else meta['endpointPrefix']}/aws4_request, SignedHeaders=host, Signature=0"
    if meta["protocol"] == "json":
        body = b"{}"
        headers = {
            "X-Amz-Target": f"{meta['targetPrefix']}.{op}",
            "Content-Type": f"application/x-amz-json-{meta.get('jsonVersion', '1.1')}",
            "Authorization": scope,
        }
    elif meta["protocol"] == "query":
        body = urllib.parse.urlencode({"Action": op, "Version": meta["apiVersion"]}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": scope}
    elif meta["protocol"] == "rest-json":
        # The operation's own method and path, every {label} filled with "x": a route the
        # router does not have answers an empty 404 or 405 (see served()).
        http = model.operation_model(op).http
        path = re.sub(r"\{[^}]*\}", "x", http["requestUri"])
        req = urllib.request.Request(endpoint + path, data=b"{}" if http["method"] in ("POST", "PUT", "PATCH") else None,
                                     headers={"Content-Type": "application/json", "Authorization": scope}, method=http["method"])
        return send(req)
    else:
        sys.exit(f"emulated-operations: protocol {meta['protocol']} of {meta['endpointPrefix']} is not known here")
    return send(urllib.request.Request(endpoint + "/", data=body, headers=headers, method="POST"))


def send(req):
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def served(status, text):
    if status < 400:
        return True
    if status in (404, 405) and not text.strip():
        return False  # rest-json: no route for this method and path
    code = ""
    try:
        doc = json.loads(text)
        code = doc.get("__type", "").split("#")[-1]
    except ValueError:
        if "<Code>" in text:
            code = text.split("<Code>", 1)[1].split("</Code>", 1)[0]
    return code not in NOT_SERVED_CODES and "is not served by the local stack" not in text


def main():
    endpoint = sys.argv[1].rstrip("/")
    session = botocore.session.get_session()
    out = [
        "# Emulated operations",
        "",
        "What `deployer local` serves of each AWS service it emulates, asked of a running stack",
        "(`scripts/docs/emulated-operations.py`: one request per operation of AWS's own service",
        "model, botocore's). Generated: do not edit. A test",
        "(`deployer/tests/suite/emulated_operations.rs`) fails when this page is out of date;",
        "regenerate it with:",
        "",
        "```sh",
        "UPDATE_REFERENCE=1 cargo test -p deployer --test suite emulated_operations",
        "```",
        "",
        "How faithful each served operation is (validations, what is left out) is in",
        "[local-stack.md](local-stack.md).",
        "",
        "| service | served | of |",
        "| --- | --- | --- |",
    ]
    sections = []
    for name, title in SERVICES:
        model = session.get_service_model(name)
        ops = sorted(model.operation_names)
        yes = [op for op in ops if served(*call(endpoint, model, op))]
        out.append(f"| {title} (`{name}`) | {len(yes)} | {len(ops)} |")
        sections += ["", f"## {title} (`{name}`)", ""]
        sections += [f"- {op}" for op in yes] or ["(none)"]
    print("\n".join(out + sections))


if __name__ == "__main__":
    main()
