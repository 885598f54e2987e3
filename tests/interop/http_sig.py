"""RFC 9421 interop with the independent PyPI package http-message-signatures 3.0.0.

Reads one JSON command on stdin, writes one JSON answer on stdout:

  {"op": "verify", "seed": <b64url>, "keyid": str, "tag": str, "requests": [req...]}
      -> [{"ok": bool, "error": str}...]  verified in order; a (keyid, nonce) seen before in
         the same run is rejected as a replay (the package leaves replay to the caller).
  {"op": "sign", "seed": <b64url>, "keyid": str, "tag": str, "requests": [req...]}
      -> [{"headers": [[name, value]...]}...]  each signed now (or at req["created"]),
         covering @method @authority @path @query (+ content-type, content-digest with a body).

req = {"method": str, "url": str, "headers": [[name, value]...], "body": <base64>,
       "nonce": str, "created": int (optional), "expires": int (optional)}
"""

import base64
import datetime
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from http_message_signatures.structures import CaseInsensitiveDict

COVERED = ("@method", "@authority", "@path", "@query")


class Request:
    def __init__(self, spec):
        self.method = spec["method"]
        self.url = spec["url"]
        self.headers = CaseInsensitiveDict()
        for name, value in spec["headers"]:
            self.headers[name] = value
        self.body = base64.b64decode(spec["body"])


def utc(ts):
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)


def main():
    cmd = json.load(sys.stdin)
    seed = base64.urlsafe_b64decode(cmd["seed"] + "=" * (-len(cmd["seed"]) % 4))
    private = Ed25519PrivateKey.from_private_bytes(seed)
    keyid = cmd["keyid"]
    resolver = MappingKeyResolver(
        public_keys={keyid: private.public_key()}, private_keys={keyid: private}
    )
    out = []
    if cmd["op"] == "verify":
        verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
        seen = set()
        for spec in cmd["requests"]:
            req = Request(spec)
            try:
                results = verifier.verify(
                    req,
                    max_age=datetime.timedelta(seconds=300),
                    expect_tag=cmd["tag"],
                    require_components=COVERED,
                    body=req.body,
                )
                for r in results:
                    if r.nonce is None:
                        raise InvalidSignature("no nonce")
                    key = (r.parameters["keyid"], r.nonce)
                    if key in seen:
                        raise InvalidSignature("replayed nonce")
                    seen.add(key)
                out.append({"ok": True, "error": ""})
            except Exception as e:  # every rejection, typed or not, is a "no"
                out.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
    elif cmd["op"] == "sign":
        signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
        for spec in cmd["requests"]:
            req = Request(spec)
            covered = COVERED + (("content-type",) if req.body and "content-type" in req.headers else ())
            created = utc(spec["created"]) if "created" in spec else datetime.datetime.now(datetime.timezone.utc)
            expires = utc(spec["expires"]) if "expires" in spec else created + datetime.timedelta(seconds=300)
            signer.sign(
                req,
                key_id=keyid,
                created=created,
                expires=expires,
                nonce=spec["nonce"],
                label="sig1",
                tag=cmd["tag"],
                covered_component_ids=covered,
                body=req.body if req.body else None,
            )
            out.append({"headers": [[k, v] for k, v in req.headers.items()]})
    else:
        raise SystemExit(f"unknown op {cmd['op']!r}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
