"""The trading domain's report section: dated traces, drawdowns, weights, tear sheets."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fieldgym.scenarios.cli import main
from fieldgym.scenarios.report.views.trading.report import daily_returns

pytestmark = pytest.mark.slow  # every test here runs a scenario end to end

PORTFOLIO = """
name: folio
env:
  id: fieldgym/PortfolioAllocation-v1
  label: five
  config: {source: skfolio_sp500, tickers: [AAPL, AMD, BAC, BBY, CVX], mode: backtest,
           start: "2019-01-02", end: "2019-06-28"}
agents:
  - name: equal_weight
  - name: buy_and_hold
seeds: 1
evaluation:
  episodes: 1
workers: 1
"""


@pytest.fixture(scope="module")
def folio(tmp_path_factory):
    root = tmp_path_factory.mktemp("folio")
    scenario = root / "folio.yaml"
    scenario.write_text(PORTFOLIO, encoding="utf-8")
    runs, out = root / "runs", root / "report"
    assert main(["compare", str(scenario), "--runs", str(runs), "--out", str(out), "--quiet"]) == 0
    return runs, out


def test_traces_carry_the_backtest_dates_and_the_returns_metrics_use(folio):
    runs, _ = folio
    record = json.loads(next((runs / "trials").glob("five__equal_weight*.json")).read_text())
    returns = daily_returns(record["trace"])
    assert returns.index.is_monotonic_increasing and returns.index.is_unique
    assert returns.index[0] >= pd.Timestamp("2019-01-02")
    assert returns.index[-1] <= pd.Timestamp("2019-06-28")
    # the traced returns compound to the episode's stored final wealth
    final = record["episodes"][0]["final_value"]
    assert np.isclose(np.prod(1.0 + returns.to_numpy()), final, rtol=1e-3)


def test_report_has_drawdowns_weights_and_links_existing_tear_sheets(folio):
    _, out = folio
    markdown = (out / "results.md").read_text(encoding="utf-8")
    assert "## Backtest detail" in markdown
    assert (out / "five_drawdowns.png").stat().st_size > 0
    assert (out / "five_weights.png").stat().st_size > 0
    for agent in ("equal_weight", "buy_and_hold"):
        sheet = out / "tearsheets" / f"five__{agent}.html"
        assert f"tearsheets/five__{agent}.html" in markdown
        assert agent in sheet.read_text(encoding="utf-8")


def test_quantstats_reads_the_same_sharpe_and_drawdown_as_the_report(folio):
    import quantstats as qs

    runs, _ = folio
    record = json.loads(next((runs / "trials").glob("five__equal_weight*.json")).read_text())
    returns = daily_returns(record["trace"])
    episode = record["episodes"][0]
    assert np.isclose(qs.stats.sharpe(returns), episode["sharpe"], rtol=1e-3)
    assert np.isclose(qs.stats.max_drawdown(returns), episode["max_drawdown"], rtol=1e-3)
