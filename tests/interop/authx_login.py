#!/usr/bin/env python3
"""Python side of tests/login_interop.rs: the real AuthX 1.7.1 AuthManager (pure calls, no
HTTP server, no network) issuing and verifying HS256 login-type tokens.

Reads one JSON document on stdin:

  {"secrets": {"users": "...", "admins": "..."},      # one HS256 login type each, headers only
   "issue": [{"login_type", "uid", "type": "access"|"refresh", "fresh": bool,
              "scopes": [..] | null, "data": {..} | null, "expired": bool}],
   "verify": [{"token", "login_type", "type": "access"|"refresh", "fresh": bool}]}

and writes {"version": ..., "issued": [token], "verified": [answer]} on stdout. An answer is
{"ok": {claims}} or {"error": "<AuthX exception class>", "expected": .., "actual": ..}.
Verification runs AuthManager._auth_required on a request carrying
`Authorization: Bearer <token>`: AuthX's whole path (token lookup, blocklist, decode, type and
freshness checks, the login-type mismatch probe, the claim check).
"""

import asyncio
import datetime
import json
import sys

import authx
from authx import AuthX, AuthXConfig
from authx.manager import AuthManager
from starlette.requests import Request


def manager(secrets):
    m = AuthManager()
    for login_type, secret in secrets.items():
        config = AuthXConfig(JWT_SECRET_KEY=secret, JWT_TOKEN_LOCATION=["headers"])
        m.register(AuthX(config=config, login_type=login_type))
    return m


def issue(m, spec):
    kwargs = {"data": spec.get("data"), "scopes": spec.get("scopes")}
    if spec.get("expired"):
        kwargs["expiry"] = datetime.timedelta(seconds=-5)
    if spec["type"] == "access":
        return m.create_access_token(spec["login_type"], spec["uid"], fresh=spec.get("fresh", False), **kwargs)
    return m.create_refresh_token(spec["login_type"], spec["uid"], **kwargs)


def jsonable(claims):
    out = {}
    for k, v in claims.items():
        if isinstance(v, datetime.datetime):
            v = v.timestamp()
        out[k] = v
    return out


async def verify(m, spec):
    headers = [(b"authorization", ("Bearer " + spec["token"]).encode())]
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})
    try:
        payload = await m._auth_required(
            login_type=spec["login_type"],
            request=request,
            type=spec["type"],
            verify_fresh=spec.get("fresh", False),
        )
        return {"ok": jsonable(payload.model_dump())}
    except authx.exceptions.AuthXException as e:
        return {
            "error": type(e).__name__,
            "expected": getattr(e, "expected_type", None),
            "actual": getattr(e, "actual_type", None),
        }


async def main():
    doc = json.load(sys.stdin)
    m = manager(doc["secrets"])
    issued = [issue(m, spec) for spec in doc.get("issue", [])]
    verified = [await verify(m, spec) for spec in doc.get("verify", [])]
    json.dump({"version": authx.__version__, "issued": issued, "verified": verified}, sys.stdout)


asyncio.run(main())
