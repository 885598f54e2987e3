"""The real authora 0.4.3 permission matcher, for idpkit's differential test.

stdin: {"cases": [{"allow": [pattern...], "deny": [pattern...], "permission": str}...]}
stdout: [{"allow": [bool...], "deny": [bool...], "allowed": bool}...]
  allow/deny: authora.permissions.match_permission(pattern, permission) for each pattern;
  allowed: the agent's deny-first has_permission rule (agent.py 290-296):
  not match_any_permission(deny) and match_any_permission(allow).
A pattern on which fnmatch raises (a malformed class) counts as no match; the number of such
patterns goes to stderr.
"""

import json
import sys

from authora.permissions import match_any_permission, match_permission

errors = 0


def safe(pattern, permission):
    global errors
    try:
        return match_permission(pattern, permission)
    except Exception:
        errors += 1
        return False


def main():
    cases = json.load(sys.stdin)["cases"]
    out = []
    for c in cases:
        allow = [safe(p, c["permission"]) for p in c["allow"]]
        deny = [safe(p, c["permission"]) for p in c["deny"]]
        try:
            allowed = not match_any_permission(c["deny"], c["permission"]) and match_any_permission(
                c["allow"], c["permission"]
            )
        except Exception:
            allowed = not any(deny) and any(allow)
        out.append({"allow": allow, "deny": deny, "allowed": allowed})
    json.dump(out, sys.stdout)
    print(f"authora_perm.py: {errors} pattern evaluations raised", file=sys.stderr)


if __name__ == "__main__":
    main()
