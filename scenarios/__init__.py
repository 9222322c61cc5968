"""Scenarios, runs and reports: compare agents on environments from one YAML file.

``load_scenario(path)`` checks a scenario file into a :class:`Plan`; ``run_plan`` runs
its trials into a results store (``runs/<name>/``), which :func:`load_results` and
:func:`load_curves` read as pandas tables; ``write_report`` turns the store into
``reports/<name>/index.html``. The ``fieldgym`` command (:mod:`fieldgym.scenarios.cli`)
wraps all of it.
"""

from __future__ import annotations

from fieldgym.scenarios.plan.planner import load_scenario
from fieldgym.scenarios.plan.spec import Plan, Scenario
from fieldgym.scenarios.plan.trials import Trial, expand
from fieldgym.scenarios.report.page import write_report
from fieldgym.scenarios.run.runner import RunSummary, TrialsFailed, run_plan, run_trial
from fieldgym.scenarios.run.store import load_curves, load_results, load_trials

__all__ = [
    "Plan",
    "RunSummary",
    "Scenario",
    "Trial",
    "TrialsFailed",
    "expand",
    "load_curves",
    "load_results",
    "load_scenario",
    "load_trials",
    "run_plan",
    "run_trial",
    "write_report",
]
