"""A loopback HTTP server that admits only requests signed per RFC 9421, verified by the
independent PyPI package http-message-signatures 3.0.0: the end-to-end counterpart of
http_sig.py for idpkit's signing clients.

Usage: http_sig_server.py --key KEYID=PUBLIC [--key ...] [--tag TAG]
  PUBLIC is the raw 32-byte Ed25519 public key, base64url (idpkit's AgentPublicKey raw form).

Prints one line on stdout once listening, `READY {"port": N}`, then serves on 127.0.0.1:N until
stdin closes (the harness's pipe) or it is killed. Every request, whatever its method and path,
is verified: the signature with the given tag must cover @method, @authority, @path and @query
(and a body's Content-Digest, which must match), be at most 300 s old, carry a nonce, and its
(keyid, nonce) must not have been seen before (the package leaves replay to its caller). A
verified request is answered 200 with JSON: a permission list for a path ending in
`/permissions`, an AuthZEN decision for `/access/v1/evaluation`, else `{"ok": true}`; any other
request 401 `{"error": ..., "message": ...}`.
"""

import argparse
import base64
import datetime
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import HTTPMessageVerifier, InvalidSignature, MappingKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict

COVERED = ("@method", "@authority", "@path", "@query")
MAX_AGE = datetime.timedelta(seconds=300)


class Request:
    """The shape the package verifies: method, absolute URL, headers, body."""

    def __init__(self, method, url, headers, body):
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_handler(verifier, tag):
    seen = set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: stdout carries only the READY line
            pass

        def answer(self, status, document):
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = CaseInsensitiveDict()
            for name, value in self.headers.items():
                headers[name] = value
            url = f"http://{self.headers.get('host', '')}{self.path}"
            request = Request(self.command, url, headers, body)
            try:
                results = verifier.verify(
                    request,
                    max_age=MAX_AGE,
                    expect_tag=tag,
                    require_components=COVERED,
                    body=body,
                )
                with lock:
                    for r in results:
                        if r.nonce is None:
                            raise InvalidSignature("no nonce")
                        key = (r.parameters["keyid"], r.nonce)
                        if key in seen:
                            raise InvalidSignature("replayed nonce")
                        seen.add(key)
            except Exception as e:  # every rejection, typed or not, is a 401
                return self.answer(401, {"error": type(e).__name__, "message": str(e)})
            path = self.path.split("?", 1)[0]
            if path.endswith("/permissions"):
                return self.answer(200, {"permissions": ["files:*"], "denyPermissions": ["files:secret"]})
            if path.endswith("/access/v1/evaluation"):
                return self.answer(200, {"decision": True})
            return self.answer(200, {"ok": True})

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    return Handler


def watch_stdin():
    """Exits when stdin reaches end-of-file: the harness that started us is gone."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", action="append", default=[], help="KEYID=PUBLIC (base64url)")
    parser.add_argument("--tag", default="idpkit-agent")
    args = parser.parse_args()
    public_keys = {}
    for item in args.key:
        keyid, _, public = item.partition("=")
        public_keys[keyid] = Ed25519PublicKey.from_public_bytes(b64url(public))
    resolver = MappingKeyResolver(public_keys=public_keys, private_keys={})
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(verifier, args.tag))
    server.daemon_threads = True
    threading.Thread(target=watch_stdin, daemon=True).start()
    sys.stdout.write(f'READY {json.dumps({"port": server.server_address[1]})}\n')
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
