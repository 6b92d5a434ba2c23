"""``python -m derivations [PATTERN ...]``: verify every fact (or those whose name contains a pattern).

Prints one line per fact (name, verified/FAILED, seconds), then a total; exits 1 if any fact fails.
"""
from __future__ import annotations

import sys
import time


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    t0 = time.perf_counter()
    from .facts import FACTS, verify  # noqa: PLC0415 - timed with the rest

    selected = [f for f in FACTS if not argv or any(p in f.name for p in argv)]
    if not selected:
        print(f"no fact matches {argv}", file=sys.stderr)
        return 2
    width = max(len(f.name) for f in selected)
    failed = []
    for fact in selected:
        ok, result, seconds = verify(fact)
        status = "verified" if ok else "FAILED"
        extra = "" if ok else f"   got: {result}  expected: {fact.expected}"
        if ok and fact.tol is not None:
            extra = f"   max error {float(result):.1e} <= {fact.tol:.0e}"
        print(f"{fact.name:<{width}}  {status:<8}  {seconds:6.2f} s{extra}", flush=True)
        if not ok:
            failed.append(fact.name)
    total = time.perf_counter() - t0
    print(f"{len(selected) - len(failed)}/{len(selected)} facts verified in {total:.1f} s (imports included)")
    if failed:
        print("FAILED: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
