"""Starts scim2-server for the tests and the provisioning example.

Writes the schema and resource-type files at start: the default schemas of RFC 7643 (from
scim2_server's own resources, the ones `scim2_server.utils.load_default_schemas()` loads) plus
the extension schemas given with `--extension`, each added to `User.schemaExtensions`. Then runs
`scim2-server` with them, passes its `Serving SCIM on ...` line on, and stops it when this
script's stdin closes (the test process ended or dropped its guard).

usage: serve.py --port PORT --bearer-token TOKEN --extension FILE [--extension FILE ...]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from scim2_server.utils import load_json_resource


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", required=True)
    parser.add_argument("--bearer-token", required=True)
    parser.add_argument("--extension", action="append", default=[])
    args = parser.parse_args()

    schemas = load_json_resource("default-schemas.json")
    resource_types = load_json_resource("default-resource-types.json")
    user_type = next(rt for rt in resource_types if rt["id"] == "User")
    for path in args.extension:
        with open(path) as f:
            extension = json.load(f)
        schemas.append(extension)
        user_type.setdefault("schemaExtensions", []).append(
            {"schema": extension["id"], "required": False}
        )

    with tempfile.TemporaryDirectory(prefix="idpkit-scim-") as tmp:
        schema_file = os.path.join(tmp, "schemas.json")
        types_file = os.path.join(tmp, "resource-types.json")
        with open(schema_file, "w") as f:
            json.dump(schemas, f)
        with open(types_file, "w") as f:
            json.dump(resource_types, f)
        server = os.path.join(os.path.dirname(sys.executable), "scim2-server")
        debug = os.environ.get("IDPKIT_SCIM_DEBUG")
        child = subprocess.Popen(
            [
                server,
                "--schema", schema_file,
                "--resource-type", types_file,
                "--bearer-token", args.bearer_token,
                "--hostname", "127.0.0.1",
                "--port", args.port,
            ],
            stdin=subprocess.DEVNULL,
            stderr=None if debug else subprocess.DEVNULL,
        )
        try:
            # Blocks until the parent closes the pipe or exits.
            sys.stdin.read()
        finally:
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


if __name__ == "__main__":
    main()
