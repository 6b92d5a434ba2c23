"""Command line: ``python -m rdbm_core <command>``.

``coeffs``  prints the coefficient table of a bridge of the family.

An error in the user's input ends with one line on stderr and exit code 2,
not a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys

from . import bridges

__all__ = ["main", "coefficient_table"]


def coefficient_table(name: str, steps: int | None = None, lam: float | None = None) -> dict:
    """The bridge's grid and coefficients as plain lists: keys ``bridge, t, thbar, Theta, Psi, Sigma``.

    Discrete bridges are tabulated on their own grid (``steps`` sets its size);
    continuous ones on ``steps + 1`` (default 101) uniform times from 0 to ``T``.
    """
    path = bridges.make(name, steps=steps, lam=lam)
    sch = path.schedule
    t = sch.times() if sch.discrete else sch.times(steps or 100)
    theta, psi, sigma = path.coefficients(t)
    return {
        "bridge": name,
        "description": path.describe(),
        "lam": path.lam,
        "t": t.tolist(),
        "thbar": sch.clock(t).tolist(),
        "Theta": theta.tolist(),
        "Psi": psi.tolist(),
        "Sigma": sigma.tolist(),
    }


def _cmd_coeffs(args) -> int:
    table = coefficient_table(args.bridge, args.steps, args.lam)
    if args.json:
        print(json.dumps(table))
        return 0
    print(table["description"])
    print(f"{'t':>10} {'thbar':>12} {'Theta':>12} {'Psi':>12} {'Sigma':>12}")
    for row in zip(table["t"], table["thbar"], table["Theta"], table["Psi"], table["Sigma"]):
        t, *rest = row
        print(f"{t:>10.6g} " + " ".join(f"{v:>12.6g}" for v in rest))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rdbm_core",
                                     description="Residual Diffusion Bridge Model: library command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("coeffs", help="print the coefficient table (Theta, Psi, Sigma) of a bridge",
                       description="Print t, thbar, Theta (coefficient of x0), Psi (coefficient of x_T = mu) and "
                                   "Sigma (std before the noise factor) of a bridge of the family, "
                                   "with its published defaults unless overridden.")
    p.add_argument("--bridge", required=True, choices=list(bridges.BRIDGES), help="which bridge")
    p.add_argument("--steps", type=int, default=None,
                   help="grid size of a discrete bridge, or number of intervals for a continuous one (default 100)")
    p.add_argument("--lam", type=float, default=None, help="override the noise variance lam")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=_cmd_coeffs)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
