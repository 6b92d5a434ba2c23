"""The project's studies: each a module with one frozen config, run by one runner, its results in its own folder.

    python -m experiments STUDY [options]      # e.g. python -m experiments budget_ladder --help

Studies:

* :mod:`~experiments.budget_ladder` — regression, RDBM and GOUB at growing training budgets;
* :mod:`~experiments.bridge_comparison` — every method of the family on benchmark v2, on both axes;
* :mod:`~experiments.plane` — the bridge comparison on the distortion-perception plane, gaps to regression;
* :mod:`~experiments.sampler_study` — every sampler against its own 100-evaluation output, on both axes;
* :mod:`~experiments.modulation_study` — residual-modulated against global noise over lam and samplers, on both axes;
* :mod:`~experiments.reanalysis_v1` — the README's comparison claims under the hierarchical interval.

Every result file of a study lives in ``experiments/results/<study>/`` beside a provenance record
(:func:`experiments.provenance.write_provenance`: commit and dirty flag, torch version, device, threads,
argv, wall time, the hashes of the networks it used), so a reader finds the command and commit of any result
from its folder. Study code imports the library (:mod:`rdbm_core`) and never the reverse.
"""
from pathlib import Path

#: the folder of every study's results
RESULTS = Path(__file__).resolve().parent / "results"

STUDIES = ("budget_ladder", "bridge_comparison", "plane", "sampler_study", "modulation_study", "reanalysis_v1")
