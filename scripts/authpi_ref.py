#!/usr/bin/env python3
"""Python side of tests/scope_differential.rs: answers scope questions with the reference
SDK (authpi-idp 1.1.2).

Reads one JSON document {"cases": [...]} on stdin and writes {"version": ..., "answers":
[...]} on stdout, one answer per case, in order. Case kinds:

- {"k": "access", "scopes": [str], "queries": [[action, resource]]} -> [bool]
- {"k": "parse", "scope": str} -> null | [resource, action]
- {"k": "agent", "orgs": [{id, title, scopes, joined_at}], "token_scope": str | null,
   "queries": [[op, ...args]]} -> [answer]   (op: an AuthenticatedAgent method)
- {"k": "claim", "claim": any} -> {"ok": [org dict]} | {"error": str}
   (the SDK's own parser of the `organizations` claim)
"""

import json
import sys

import authpi_idp
from authpi_idp import AuthenticatedAgent, Organization, PrincipalType, TokenSet, has_access, parse_scope
from authpi_idp.base import _parse_organizations


def access(case):
    scopes = case["scopes"]
    return [has_access(scopes, action, resource) for action, resource in case["queries"]]


def parse(case):
    parsed = parse_scope(case["scope"])
    return None if parsed is None else [parsed.resource, parsed.action]


def agent(case):
    a = AuthenticatedAgent(
        id="usr_differential",
        type=PrincipalType.USER,
        tokens=TokenSet(access_token="opaque", expires_at=0, scope=case["token_scope"]),
        organizations=[Organization(**org) for org in case["orgs"]],
    )
    answers = []
    for op, *args in case["queries"]:
        answers.append(getattr(a, op)(*args))
    return answers


def claim(case):
    try:
        orgs = _parse_organizations(case["claim"])
    except Exception as e:  # pydantic rejects some shapes that idpkit reads leniently
        return {"error": type(e).__name__}
    return {"ok": [org.model_dump() for org in orgs]}


KINDS = {"access": access, "parse": parse, "agent": agent, "claim": claim}


def main():
    request = json.load(sys.stdin)
    answers = [KINDS[case["k"]](case) for case in request["cases"]]
    json.dump({"version": authpi_idp.__version__, "answers": answers}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
