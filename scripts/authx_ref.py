#!/usr/bin/env python3
"""Python side of tests/policy_differential.rs: decides policy requests with the real AuthX
1.7.1 policy engine (authx.policy: PolicyEngine, PolicyRule, PolicyCondition, PolicyContext and
default_subject_from_payload; pure evaluation, no HTTP, no network).

Reads one JSON document {"cases": [...]} on stdin and writes {"version": ..., "answers": [...]}
on stdout: one list per case, one answer per request, in order. A case:

  {"rules": [{effect, actions, resources, scopes?, all_scopes_required?, conditions?,
              evaluators?: [name], reason?}],
   "globals": [name], "default_allow": bool,
   "requests": [{"action", "resource", "token": {claims} | null,
                 "subject": {...} | null (null = derived from the token),
                 "resource_attrs": {...}, "env": {...}}]}

Evaluator names: "yes" returns True, "no" returns False, "boom" raises.
An answer: {"allowed": bool, "rule": index | null} or {"error": "type" | "evaluator" | repr}.
"""

import asyncio
import json
import sys

import authx
from authx.policy import (
    PolicyCondition,
    PolicyContext,
    PolicyEngine,
    PolicyRule,
    default_subject_from_payload,
)
from authx.schema import TokenPayload


class Boom(Exception):
    pass


def yes(context, rule):
    return True


def no(context, rule):
    return False


def boom(context, rule):
    raise Boom("evaluator failed")


EVALUATORS = {"yes": yes, "no": no, "boom": boom}


def build_rule(r):
    return PolicyRule(
        effect=r["effect"],
        actions=r["actions"],
        resources=r["resources"],
        conditions=[
            PolicyCondition(
                source=c["source"],
                key=c["key"],
                operator=c.get("operator", "equals"),
                value=c.get("value"),
            )
            for c in r.get("conditions", [])
        ],
        scopes=r.get("scopes"),
        all_scopes_required=r.get("all_scopes_required", True),
        evaluators=[EVALUATORS[name] for name in r.get("evaluators", [])],
        reason=r.get("reason"),
    )


async def decide(engine, rules, request):
    payload = None if request["token"] is None else TokenPayload(**request["token"])
    subject = request["subject"]
    if subject is None:
        subject = default_subject_from_payload(payload)
    context = PolicyContext(
        login_type="user",
        action=request["action"],
        resource=request["resource"],
        payload=payload,
        subject=subject,
        resource_attrs=request["resource_attrs"],
        environment=request["env"],
    )
    try:
        decision = await engine.evaluate(context)
    except TypeError:
        return {"error": "type"}
    except Boom:
        return {"error": "evaluator"}
    except Exception as e:  # anything else is a test failure on the Rust side
        return {"error": repr(e)}
    index = None
    if decision.rule is not None:
        index = next(i for i, r in enumerate(rules) if r is decision.rule)
    return {"allowed": decision.allowed, "rule": index}


async def run(cases):
    answers = []
    for case in cases:
        rules = [build_rule(r) for r in case["rules"]]
        engine = PolicyEngine(
            rules=rules,
            evaluators=[EVALUATORS[name] for name in case.get("globals", [])],
            default_allow=case.get("default_allow", False),
        )
        answers.append([await decide(engine, rules, request) for request in case["requests"]])
    return answers


def main():
    request = json.load(sys.stdin)
    answers = asyncio.run(run(request["cases"]))
    json.dump({"version": authx.__version__, "answers": answers}, sys.stdout)


if __name__ == "__main__":
    main()
