"""Reanalysis v1: the README's bridge-comparison table and modulation claims under the hierarchical interval.

    python -m experiments reanalysis_v1 [--draws 10000] [--stability 10] [--family NAME ...]

Every comparison behind a claim of the README is recomputed from the committed items CSVs
(``benchmarks/results/bridge_comparison_items.csv``, ``benchmarks/results/modulation_study_items.csv`` and, for the
cross-sampling claims, ``benchmarks/results/where_error_goes_cross_items.csv`` beside the study's items) twice:

* **old**: the two-stage bootstrap (seeds, then items) with :data:`rdbm_core.evidence.stats.LEGACY_DRAWS` draws and
  resample seed 0, the intervals the README quotes;
* **new**: :func:`rdbm_core.evidence.stats.paired_difference` with its defaults: the hierarchical bootstrap (seeds,
  photographs, windows) with ``--draws`` draws (more near a threshold), the Student-t interval on the seed
  means, the bootstrap p-value and the verdict (none with fewer than 3 seeds or more than 5 % of the pairs
  dropped).

The comparisons form the families of :data:`FAMILIES`; each family is counted (raw, Holm, Benjamini-Hochberg)
under both designs: the old one by :func:`rdbm_core.evidence.stats.established_counts` as it stands, the new one by
:func:`rdbm_core.evidence.stats.count_family` (comparisons within Monte Carlo error of a threshold get more draws).
Both are counted again under ``--stability`` resample seeds (0, 1, ...); the ranges show how much a count
owes to the bootstrap's seed.

Writes ``experiments/results/reanalysis_v1/verdicts.csv`` (one row per comparison: :data:`VERDICT_COLUMNS`),
``counts.csv`` (one row per family: :data:`COUNT_COLUMNS`) and ``provenance.json``.
"""
from __future__ import annotations

import argparse
import csv
import io
import time
from pathlib import Path

from rdbm_core.data.files import atomic_write
from rdbm_core.evidence.stats import (DRAWS, LEGACY_DRAWS, count_family, established_counts, load_items, paired_difference)

from . import RESULTS
from .provenance import REPO, file_sha256, provenance, write_provenance

FOLDER = RESULTS / "reanalysis_v1"
BENCH = REPO / "benchmarks" / "results"
TASKS = ("derain", "inpaint", "lowlight")
LAMS = ("1e-4", "1e-3", "1e-2", "1e-1")
SAMPLERS = ("eta0", "eta1", "sde")


def _bridge_table():
    """The README's table: RDBM - each method, PSNR, on every task (bridge comparison, 3 seeds)."""
    return [("bridge", t, "psnr", "rdbm", m) for m in ("rdbm-global", "goub", "bbdm", "ddbm-ve", "i2sb", "irsde",
                                                        "regression", "input") for t in TASKS]


def _bridges_vs_regression():
    """"Regression is best on deraining and low light" (every bridge below it) and no bridge differs from it on
    inpainting: every bridge of the modulation study - regression, PSNR."""
    bridges = [f"lam0-{s}" for s in SAMPLERS] + [f"{kind}-{lam}-{s}" for kind in ("mod", "glob") for lam in LAMS
                                                  for s in SAMPLERS]
    return [("modulation", t, "psnr", b, "regression") for t in TASKS for b in bridges]


def _modulated_vs_global(metric, tasks=TASKS):
    """Modulated - global noise at every lam and sampler."""
    return [("modulation", t, metric, f"mod-{lam}-{s}", f"glob-{lam}-{s}") for t in tasks for lam in LAMS
            for s in SAMPLERS]


def _cross_sampling():
    """A network run along the other noise factor's path - the same network on its own path (stochastic
    samplers only: eta = 0 does not see the noise factor)."""
    return [("cross", t, "psnr", f"{kind}-{lam}-{s}-on-{path}", f"{kind}-{lam}-{s}")
            for kind, path in (("mod", "global"), ("glob", "modulated")) for t in TASKS for lam in LAMS
            for s in ("eta1", "sde")]


#: family name -> (the README's claim, its comparisons as (source, task, metric, a, b))
FAMILIES = {
    "bridge_table": ("README table: RDBM - each method, PSNR (13 of 24 cells established)", _bridge_table()),
    "bridges_vs_regression": ("every bridge below regression on derain and low light; none differs on inpaint",
                              _bridges_vs_regression()),
    "modulated_vs_global": ("10 of 36 modulated - global established (3 for, 7 against)",
                            _modulated_vs_global("psnr")),
    "intact_modulated_vs_global": ("intact pixels: modulated worse wherever established (12 of 24, none better)",
                                   _modulated_vs_global("psnr_intact", ("derain", "inpaint"))),
    "cross_sampling": ("modulated network loses on the global path; global gains +0.03 to +0.20 on the modulated",
                       _cross_sampling()),
}
VERDICT_COLUMNS = ("family", "task", "metric", "a", "b", "seeds", "photographs", "items", "dropped_pairs", "mean",
                   "old_low", "old_high", "old_verdict", "low", "high", "t_low", "t_high", "p_value", "draws",
                   "verdict", "verdict_words", "holm", "bh", "changed")
COUNT_COLUMNS = ("family", "claim", "n", "old_established", "old_a", "old_b", "old_holm", "old_bh",
                 "old_established_range", "established", "a_better", "b_better", "holm", "bh", "no_verdict",
                 "undecided", "established_range", "holm_range", "bh_range", "old_draws", "draws", "stability_seeds")


#: the items CSVs read (in benchmarks/results/)
INPUTS = ("bridge_comparison_items.csv", "modulation_study_items.csv", "where_error_goes_cross_items.csv")


def _sources() -> dict:
    """The rows of each source (the cross-sampling rows beside the modulation study's)."""
    bridge, modulation, cross = (load_items(BENCH / f) for f in INPUTS)
    return {"bridge": bridge, "modulation": modulation, "cross": cross + modulation}


def _verdict_code(v) -> str:
    return "none" if v is None else v


def _span(values) -> str:
    return f"{min(values)}-{max(values)}" if min(values) != max(values) else str(values[0])


def reanalyse(families=tuple(FAMILIES), draws: int = DRAWS, stability: int = 10) -> tuple[list[dict], list[dict]]:
    """``(verdict rows, count rows)`` of the named families (see the module docstring and the column lists)."""
    sources = _sources()
    verdicts, counts = [], []
    for name in families:
        claim, comparisons = FAMILIES[name]
        family = [(sources[src], t, a, b, metric) for src, t, metric, a, b in comparisons]

        def old_design(seed):
            return [paired_difference(*f, draws=LEGACY_DRAWS, resample_seed=seed, method="two-stage", refine=False)
                    for f in family]
        old = old_design(0)
        c_old = established_counts(old)
        new, c_new = count_family(family, draws)
        again = [c_new] + [count_family(family, draws, resample_seed=s)[1] for s in range(1, stability)]
        old_again = [c_old] + [established_counts(old_design(s)) for s in range(1, stability)]
        for o, r, h, bh in zip(old, new, c_new.holm_mask, c_new.bh_mask):
            verdicts.append({
                "family": name, "task": r.task, "metric": r.metric, "a": r.a, "b": r.b, "seeds": len(r.seeds),
                "photographs": r.photographs, "items": r.items, "dropped_pairs": r.dropped_pairs,
                "mean": round(r.mean, 4), "old_low": round(o.low, 4), "old_high": round(o.high, 4),
                "old_verdict": _verdict_code(o.verdict), "low": round(r.low, 4), "high": round(r.high, 4),
                "t_low": round(r.t_low, 4), "t_high": round(r.t_high, 4), "p_value": round(r.p_value, 6),
                "draws": r.draws, "verdict": _verdict_code(r.verdict), "verdict_words": r.verdict_words,
                "holm": h, "bh": bh, "changed": o.verdict != r.verdict})
        counts.append({
            "family": name, "claim": claim, "n": c_new.n, "old_established": c_old.established,
            "old_a": c_old.a_better, "old_b": c_old.b_better, "old_holm": c_old.holm, "old_bh": c_old.bh,
            "old_established_range": _span([c.established for c in old_again]),
            "established": c_new.established, "a_better": c_new.a_better, "b_better": c_new.b_better,
            "holm": c_new.holm, "bh": c_new.bh, "no_verdict": c_new.no_verdict, "undecided": len(c_new.undecided),
            "established_range": _span([c.established for c in again]), "holm_range": _span([c.holm for c in again]),
            "bh_range": _span([c.bh for c in again]), "old_draws": LEGACY_DRAWS,
            "draws": f"{min(c.draws[0] for c in again)}-{max(c.draws[1] for c in again)}",
            "stability_seeds": len(again)})
    return verdicts, counts


def _csv_text(rows: list[dict], columns) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments reanalysis_v1", description=__doc__.split("\n\n")[0])
    p.add_argument("--draws", type=int, default=DRAWS, help=f"draws of the new interval (default {DRAWS})")
    p.add_argument("--stability", type=int, default=10,
                   help="count each family under this many resample seeds (default 10; 1: only seed 0)")
    p.add_argument("--family", action="append", choices=list(FAMILIES), help="only this family (repeatable)")
    p.add_argument("--out", default=str(FOLDER), help="folder of verdicts.csv, counts.csv and provenance.json")
    args = p.parse_args(argv)
    if args.stability < 1:
        p.error("--stability must be at least 1")
    t0 = time.perf_counter()
    verdicts, counts = reanalyse(tuple(args.family or FAMILIES), args.draws, args.stability)
    out = Path(args.out)
    atomic_write(out / "verdicts.csv", _csv_text(verdicts, VERDICT_COLUMNS).encode())
    atomic_write(out / "counts.csv", _csv_text(counts, COUNT_COLUMNS).encode())
    record = provenance(["python -m experiments reanalysis_v1", *(argv or [])], time.perf_counter() - t0)
    record["inputs"] = {f"benchmarks/results/{f}": file_sha256(BENCH / f) for f in INPUTS}
    write_provenance(out, record)
    for c in counts:
        print(f"{c['family']}: new {c['established']} of {c['n']} established (Holm {c['holm']}, BH {c['bh']}; "
              f"over {c['stability_seeds']} resample seeds {c['established_range']}, Holm {c['holm_range']}, "
              f"BH {c['bh_range']}; {c['draws']} draws); old {c['old_established']} (Holm {c['old_holm']}, "
              f"BH {c['old_bh']}; {c['old_draws']} draws; over the seeds {c['old_established_range']})")
    print(f"wrote {out / 'verdicts.csv'}, {out / 'counts.csv'}, {out / 'provenance.json'}")
    return 0
