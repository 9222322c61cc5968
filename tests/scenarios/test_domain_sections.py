"""A domain's own report section: the wireless Pareto fronts over a run's preferences."""

from __future__ import annotations

import numpy as np
import pytest

from fieldgym.agents.target import EnvTarget
from fieldgym.agents.wireless.pareto import hypervolume_table, objective_points
from fieldgym.scenarios.cli import main
from fieldgym.scenarios.run.store import load_results

pytestmark = pytest.mark.slow  # every test here runs a scenario end to end

SCENARIO = """
name: pareto_tiny
envs:
  - id: fieldgym/EdgeOffloading-v1
    label: delay_heavy
    config: {preference: [0.8, 0.2]}
  - id: fieldgym/EdgeOffloading-v1
    label: energy_heavy
    config: {preference: [0.2, 0.8]}
agents:
  - name: greedy_cost
  - name: all_local
  - name: random
seeds: 1
evaluation:
  episodes: 2
  max_steps: 30
workers: 1
"""


def run(tmp_path, text):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(text, encoding="utf-8")
    runs, out = tmp_path / "runs", tmp_path / "report"
    assert main(["compare", str(scenario), "--runs", str(runs), "--out", str(out), "--quiet"]) == 0
    return runs, out


def test_wireless_report_has_the_pareto_section_with_pymoo_hypervolumes(tmp_path):
    runs, out = run(tmp_path, SCENARIO)
    markdown = (out / "results.md").read_text(encoding="utf-8")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "## Pareto fronts over the preferences" in markdown
    assert "Pareto fronts over the preferences" in html
    assert (out / "pareto_fronts.png").stat().st_size > 0
    # the table's hypervolumes are the library's, computed here from the stored episodes
    results = load_results(runs)
    weights = {"delay_heavy": 0.8, "energy_heavy": 0.2}
    config = EnvTarget("fieldgym/EdgeOffloading-v1").config
    scales = config.delay_scale_s, config.energy_scale_j
    points = objective_points(results.assign(w_delay=results["env"].map(weights)), *scales)
    expected = hypervolume_table(points).set_index("agent")["hypervolume"]
    section = markdown.split("## Pareto fronts over the preferences")[1]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ")]
    shown = {r[0].strip("| "): float(r[2]) for r in rows[2 : 2 + len(expected)]}
    assert set(shown) == set(expected.index)
    for agent, value in shown.items():
        assert np.isclose(value, expected[agent], atol=5e-5)


def test_a_single_preference_has_no_pareto_section(tmp_path):
    one = SCENARIO.split("  - id: fieldgym/EdgeOffloading-v1\n    label: energy_heavy")[0]
    one += SCENARIO.split("config: {preference: [0.2, 0.8]}\n")[1]
    _, out = run(tmp_path, one)
    assert "Pareto fronts" not in (out / "results.md").read_text(encoding="utf-8")
