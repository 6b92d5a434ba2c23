"""Symbolic derivations of the Residual Diffusion Bridge Model (SymPy).

One module per topic; each builds its expressions and offers ``check_*``
functions returning a simplified residual (0) or a limit, listed in the
module's ``FACTS``:

* :mod:`~derivations.ou` — the OU SDE with residual-modulated noise, its kernel;
* :mod:`~derivations.hbridge` — Doob's h-transform, the ``coth`` drift, ``pi^2`` cancelling;
* :mod:`~derivations.marginal` — the bridge marginal by Bayes, the moment ODEs and the Fokker–Planck equation;
* :mod:`~derivations.posterior` — ``q(x_s | x_t, x0)`` and Chapman-Kolmogorov;
* :mod:`~derivations.reverse` — score, reverse SDE, PF-ODE, the implicit sampler;
* :mod:`~derivations.parameterisation` — why noise prediction is ill-posed under modulation;
* :mod:`~derivations.special_cases` — GOUB, IR-SDE, VE/DDBM-VE, BBDM, I2SB, interpolant, DDBM-VP, UniDB;
* :mod:`~derivations.code_link` — the symbolic objects equal ``rdbm_core``'s numerics.

:mod:`~derivations.family` holds the closed forms stated in ``docs/theory.md``,
:mod:`~derivations.common` the symbols (with their positivity assumptions) and
helpers, :mod:`~derivations.facts` the registry; ``python -m derivations`` runs it.
"""
