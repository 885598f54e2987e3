#!/usr/bin/env python3
"""Times the reference SDK's has_access (authpi-idp 1.1.2) on the inputs of benches/scope.rs
and, given criterion's output directory, prints the Rust medians next to it.

The inputs mirror benches/scope.rs exactly (keep both in sync): scope i is svc{i}:read,
svc{i}.items:write, svc{i}.items.meta:** or svc{i}:* for i % 4 = 0, 1, 2, 3; the 4 hits and
4 misses have resources of depth 1 to 4. Times are per check: the median over repeats of
(time of the 4 checks) / 4, as the criterion benches report per iteration of 4 checks.

Usage: bench_vs_reference.py [--criterion DIR] [--sizes 10,1000]
"""

import argparse
import json
import os
import statistics
import sys
import timeit

from authpi_idp import __version__, has_access


def scopes(n):
    kinds = ["svc{}:read", "svc{}.items:write", "svc{}.items.meta:**", "svc{}:*"]
    return [kinds[i % 4].format(i) for i in range(n)]


def last(n, kind):
    return max(i for i in range(n) if i % 4 == kind)


def hits(n):
    k0, k1, k2 = last(n, 0), last(n, 1), last(n, 2)
    return [
        ("read", f"svc{k0}"),
        ("write", f"svc{k1}.items"),
        ("x", f"svc{k2}.items.meta"),
        ("x", f"svc{k2}.items.meta.extra"),
    ]


def misses(n):
    k0, k1, k2 = last(n, 0), last(n, 1), last(n, 2)
    return [
        ("write", f"svc{k0}"),
        ("read", f"svc{k1}.items"),
        ("x", f"svc{k2}.items.other"),
        ("x", f"svc{k2}.items.other.more"),
    ]


def time_python(n, kind, repeat=7):
    s = scopes(n)
    requests = hits(n) if kind == "hit" else misses(n)
    expected = kind == "hit"
    assert all(has_access(s, a, r) == expected for a, r in requests)

    def run():
        for a, r in requests:
            has_access(s, a, r)

    timer = timeit.Timer(run)
    number, _ = timer.autorange()
    times = timer.repeat(repeat=repeat, number=number)
    return statistics.median(t / number for t in times) / len(requests)


def criterion_median(root, kind, name, n):
    path = os.path.join(root, f"scope_{kind}", name, str(n), "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"] * 1e-9 / 4
    except OSError:
        return None


def fmt(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--criterion", help="criterion output directory (target/criterion)")
    parser.add_argument("--sizes", default="10,1000")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]

    print(f"authpi-idp {__version__} (Python {sys.version.split()[0]}), per check, median")
    header = f"{'scopes':>7} {'kind':>5} {'python':>10}"
    if args.criterion:
        header += f" {'ScopeSet':>10} {'speed-up':>9} {'slice':>10} {'speed-up':>9} {'naive':>10}"
    print(header)
    for n in sizes:
        for kind in ("hit", "miss"):
            py = time_python(n, kind)
            line = f"{n:>7} {kind:>5} {fmt(py):>10}"
            if args.criterion:
                cs = criterion_median(args.criterion, kind, "ScopeSet", n)
                sl = criterion_median(args.criterion, kind, "slice", n)
                nv = criterion_median(args.criterion, kind, "naive", n)
                ratio = lambda t: f"{py / t:,.0f}x" if t else "-"  # noqa: E731
                line += f" {fmt(cs):>10} {ratio(cs):>9} {fmt(sl):>10} {ratio(sl):>9} {fmt(nv):>10}"
            print(line)


if __name__ == "__main__":
    main()
