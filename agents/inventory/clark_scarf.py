"""Exact optimal echelon base-stock levels of a serial inventory system (Clark–Scarf).

Clark and Scarf (1960, "Optimal policies for a multi-echelon inventory problem",
*Management Science* 6(4)) showed that an echelon base-stock policy is optimal for a serial
system with backorders and no fixed ordering costs. Chen and Zheng (1994, "Lower bounds for
multi-echelon stochastic inventory systems", *Management Science* 40(11)) gave the simple
recursion implemented here, which yields the optimal levels and the optimal long-run cost.

Timing (that of :mod:`fieldgym.envs.inventory.dynamics`): in each period (1) shipments due
arrive; (2) each stage orders and its supplier ships from on-hand stock, upstream stages
first (the external supplier ships everything); goods shipped to stage ``i`` arrive
``lead_times[i] >= 0`` periods later (with 0, at once: they can be shipped on, or sold, in
the same period); (3) customer demand arrives at stage 0, backorders are served first;
(4) costs are charged on the end-of-period state: holding on hand at each stage's local
rate (``config.local_holding_costs``, whichever ``holding_cost_basis`` the rates were given
in), goods in transit to stage ``i`` at its supplier's rate (nothing for the external
supplier), and ``backorder_cost`` per unit of customer demand backordered. The dynamics
module's table maps a textbook serial system (Snyder and Shen, ch. 6; ``stockpyl``) to
these fields; :attr:`ClarkScarfSolution.textbook_cost` is the cost in its accounting.

In the notation below stages are numbered ``1..N`` from the retailer up (stage ``k`` here is
stage ``k - 1`` of the config). With local holding rates ``h_k`` and echelon holding costs
``e_k = h_k - h_{k+1}`` (``h_{N+1} = 0``), the period's cost is
``sum_k e_k (A_k - D) + (p + h_1) [A_1 - D]^-``, where ``A_k`` is the echelon-``k`` stock
(on hand at stages ``<= k``, plus goods in transit between them, minus customer backorders)
after the period's arrivals, ``D`` the period's demand and ``p`` the backorder cost. Under
echelon base-stock levels ``S``, ``A_k(t + L_k) = min(S_k, A_{k+1}(t)) - D[L_k periods]``
and ``A_N(t + L_N) = S_N - D[L_N]``, which gives the recursion::

    C_1(y)   = E[ e_1 (y - D^(L_1) - mu) + (p + h_1) (y - D^(L_1 + 1))^- ]
    C_k(y)   = E[ e_k (y - D^(L_k) - mu) + C_{k-1}(min(S_{k-1}, y - D^(L_k))) ],   k >= 2
    S_k      = argmin C_k,            expected cost per period = C_N(S_N),

with ``D^(L)`` the demand over ``L`` periods (``D^(0) = 0``). The functions are computed on
a grid: the integers for Poisson demand (exact pmfs, so the result is exact), steps of
``std / 40`` for normal demand (the lead-time demand ``N(L mu, L std^2)`` discretized on the
grid, with Sheppard's correction of the variance; ``C_1`` is computed in closed form). The
environment truncates normal demand at 0; the normal result is exact up to that truncation
(negligible when ``mean >= 4 std``, as in the presets) and to the grid step (errors ~1e-4
of the cost).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.inventory.config import InventoryConfig

GRID_STEPS_PER_STD = 40
"""Normal demand: grid points per standard deviation of one period's demand."""
TAIL_STDS = 12.0
"""Lead-time demand distributions are cut this many standard deviations from their mean."""


@dataclasses.dataclass(frozen=True)
class ClarkScarfSolution:
    """The optimal echelon base-stock policy of a serial system and its cost.

    Attributes:
        levels: Echelon base-stock level per stage, stage 0 = retailer (units).
        expected_cost: Expected cost per period in steady state, in the accounting of the
            environment's ``total_cost`` KPI.
        textbook_cost: The same policy's expected cost per period in the accounting of the
            textbook serial system the config maps (Snyder and Shen ch. 6, ``stockpyl``'s
            ``ssm_serial``; see :mod:`fieldgym.envs.inventory.dynamics`), where each unit
            is held one period-end longer at the retailer's supplier: ``expected_cost +
            demand_mean * local_holding_costs[1]`` (equal for a single stage). Compare this
            one with published figures.
    """

    levels: tuple[float, ...]
    expected_cost: float
    textbook_cost: float


def check_eligible(config: InventoryConfig) -> None:
    """Raise :class:`ConfigError` unless Clark–Scarf applies to ``config``.

    Eligible: a serial network with backorders, no fixed order costs, Poisson or normal
    demand, a positive backorder cost, local holding rates that do not increase upstream
    (non-negative echelon holding costs; always so with ``holding_cost_basis="echelon"``)
    and order limits that never bind in practice.

    Raises:
        ConfigError: Listing every reason the config is not eligible and what to do.
    """
    problems = []
    if config.network != "serial":
        problems.append(f"network={config.network!r} (it needs 'serial')")
    if config.lost_sales:
        problems.append("lost_sales=True (it needs backorders: lost_sales=False)")
    if any(cost != 0 for cost in config.fixed_order_costs):
        problems.append(f"fixed_order_costs={config.fixed_order_costs} (they must all be 0)")
    if config.demand not in ("normal", "poisson"):
        problems.append(f"demand={config.demand!r} (it needs 'normal' or 'poisson')")
    if config.backorder_cost <= 0:
        problems.append("backorder_cost=0 (it must be positive)")
    holding = config.local_holding_costs
    if any(holding[i] < holding[i + 1] for i in range(len(holding) - 1)):
        problems.append(
            f"holding_costs={config.holding_costs} increase upstream (echelon holding costs "
            "must be >= 0: each stage's rate at least its supplier's)"
        )
    if config.demand in ("normal", "poisson"):
        mu, std = config.demand_mean, config.demand_std
        for i, limit in enumerate(config.order_limits):
            if config.demand == "normal" and limit < mu + 6 * std:
                problems.append(
                    f"order_limits[{i}]={limit} is below mean + 6 std = {mu + 6 * std:g} "
                    "(orders must be uncapacitated in practice)"
                )
            if config.demand == "poisson" and stats.poisson.sf(limit, mu) >= 1e-9:
                problems.append(
                    f"order_limits[{i}]={limit} is exceeded by Poisson({mu:g}) demand with "
                    "probability >= 1e-9 (orders must be uncapacitated in practice)"
                )
    if problems:
        raise ConfigError(
            "clark_scarf applies to serial systems with backorders, no fixed costs and "
            "normal or Poisson demand; this config has " + "; ".join(problems) + ". Use "
            "'base_stock_search' (simulation search) or 's_S' for other systems."
        )


def clark_scarf(config: InventoryConfig) -> ClarkScarfSolution:
    """The optimal echelon base-stock levels of a serial system and their expected cost.

    Args:
        config: An eligible inventory config (see :func:`check_eligible`).

    Returns:
        The levels (stage 0 = retailer) and the expected cost per period.

    Raises:
        ConfigError: If the config is not eligible; the message says why.
    """
    check_eligible(config)
    levels, cost = _recursion(_Grid(config), config, None)
    return ClarkScarfSolution(
        levels=levels, expected_cost=cost, textbook_cost=cost + textbook_cost_offset(config)
    )


def textbook_cost_offset(config: InventoryConfig) -> float:
    """Textbook minus environment expected cost per period, the same for every policy.

    The textbook's retailer lead time is one period longer than ``lead_times[0]`` (see
    :mod:`fieldgym.envs.inventory.dynamics`), and each unit is held for that period at the
    retailer's supplier's local rate: ``demand_mean * local_holding_costs[1]``, 0 for one
    stage.
    """
    if config.num_stages < 2:
        return 0.0
    return float(config.demand_mean * config.local_holding_costs[1])


def base_stock_cost(config: InventoryConfig, levels: Sequence[float]) -> float:
    """Expected cost per period of any echelon base-stock levels (not only the optimal ones).

    The same recursion with the given levels in place of the minimizers. For Poisson demand
    it is exact for integer levels.

    Args:
        config: An eligible inventory config (see :func:`check_eligible`).
        levels: Echelon base-stock level per stage, stage 0 = retailer.

    Raises:
        ConfigError: If the config is not eligible or ``levels`` has the wrong length.
    """
    check_eligible(config)
    if len(levels) != config.num_stages:
        raise ConfigError(
            f"levels has {len(levels)} values; give one per stage ({config.num_stages})."
        )
    return _recursion(_Grid(config), config, [float(s) for s in levels])[1]


class _Grid:
    """The grid the cost functions live on and the demand distributions on it."""

    def __init__(self, config: InventoryConfig) -> None:
        self.poisson = config.demand == "poisson"
        mu = config.demand_mean
        self.mean = mu
        self.std = math.sqrt(mu) if self.poisson else config.demand_std
        if self.poisson:
            self.step = 1.0
        elif self.std > 0:
            self.step = self.std / GRID_STEPS_PER_STD
        else:  # deterministic demand: lead-time demands fall on the grid
            self.step = mu / GRID_STEPS_PER_STD if mu > 0 else 1.0
        # Wide enough that every cost function is linear (up to ~1e-30) near both ends.
        spread = TAIL_STDS * self.std * sum(math.sqrt(lead + 1) for lead in config.lead_times)
        low = -spread - mu
        high = mu * (sum(config.lead_times) + 1) + spread + mu
        first = math.floor(low / self.step)
        self.x = (first + np.arange(math.ceil(high / self.step) - first + 1)) * self.step

    def lead_demand(self, periods: int) -> tuple[int, np.ndarray]:
        """Demand over ``periods`` on the grid: ``(first, probs)``, value ``(first + j) * step``."""
        mean, std = periods * self.mean, math.sqrt(periods) * self.std
        if self.poisson:
            top = int(stats.poisson.isf(1e-16, mean)) + 2 if mean > 0 else 0
            probs = stats.poisson.pmf(np.arange(top + 1), mean)
            return 0, probs / probs.sum()
        if std == 0:
            return round(mean / self.step), np.ones(1)
        first = math.floor((mean - TAIL_STDS * std) / self.step)
        last = math.ceil((mean + TAIL_STDS * std) / self.step)
        edges = (np.arange(first, last + 2) - 0.5) * self.step
        # Sheppard's correction: the binned distribution then has the variance periods * std^2.
        binned = math.sqrt(max(std**2 - self.step**2 / 12.0, 1e-12 * std**2))
        probs = np.diff(stats.norm.cdf(edges, loc=mean, scale=binned))
        return first, probs / probs.sum()

    def loss(self, periods: int) -> np.ndarray:
        """``E[(D^(periods) - x)^+]`` at every grid point (first-order loss function)."""
        mean, std = periods * self.mean, math.sqrt(periods) * self.std
        if self.poisson:
            first, probs = self.lead_demand(periods)
            values = (first + np.arange(len(probs))) * self.step
            tail_mean = np.cumsum((probs * values)[::-1])[::-1]  # E[D; D >= v_j]
            tail_prob = np.cumsum(probs[::-1])[::-1]  # P(D >= v_j)
            index = np.clip(np.floor(self.x).astype(int) + 1, 0, len(probs))
            tail_mean = np.append(tail_mean, 0.0)[index]  # sums over D > x
            tail_prob = np.append(tail_prob, 0.0)[index]
            return np.where(self.x < 0, mean - self.x, tail_mean - self.x * tail_prob)
        if std == 0:
            return np.maximum(mean - self.x, 0.0)
        z = (self.x - mean) / std
        return std * (stats.norm.pdf(z) - z * stats.norm.sf(z))

    def expect_shifted(self, values: np.ndarray, periods: int) -> np.ndarray:
        """``E f(x - D^(periods))`` at every grid point, for ``f`` given on the grid.

        ``f`` is extended linearly beyond the grid, where every cost function is linear.
        """
        first, probs = self.lead_demand(periods)
        below = max(first + len(probs) - 1, 0)
        above = max(-first, 0)
        slope_low, slope_high = values[1] - values[0], values[-1] - values[-2]
        extended = np.concatenate(
            (
                values[0] - slope_low * np.arange(below, 0, -1),
                values,
                values[-1] + slope_high * np.arange(1, above + 1),
            )
        )
        full = np.convolve(extended, probs)  # full[m] = sum_j probs[j] extended[m - j]
        start = below - first
        return full[start : start + len(values)]

    def argmin(self, values: np.ndarray) -> float:
        """The minimizer of a convex function given on the grid.

        Normal demand: refined by a parabola through the three grid points around the
        minimum. A function still decreasing at the top of the grid (zero echelon holding
        cost: any large level is optimal) gives the first point within 1e-9 of its minimum.
        """
        k = int(np.argmin(values))
        if k == len(values) - 1:
            tol = 1e-9 * max(1.0, abs(values[k]))
            return float(self.x[np.argmax(values <= values[k] + tol)])
        if k == 0:
            raise RuntimeError("clark_scarf: the optimum lies below the grid; please report this.")
        if self.poisson or self.std == 0:
            return float(self.x[k])
        a, b, c = values[k - 1], values[k], values[k + 1]
        curvature = a - 2 * b + c
        offset = 0.5 * (a - c) / curvature if curvature > 0 else 0.0
        return float(self.x[k] + offset * self.step)


def _recursion(
    grid: _Grid, config: InventoryConfig, fixed: list[float] | None
) -> tuple[tuple[float, ...], float]:
    """Chen–Zheng recursion: the levels (minimizers, or ``fixed``) and ``C_N(S_N)``."""
    h = np.append(np.asarray(config.local_holding_costs, dtype=np.float64), 0.0)
    echelon = h[:-1] - h[1:]
    leads = config.lead_times
    mu, p, x = grid.mean, config.backorder_cost, grid.x
    cost = echelon[0] * (x - (leads[0] + 1) * mu) + (p + h[0]) * grid.loss(leads[0] + 1)
    levels: list[float] = []
    for i in range(config.num_stages):
        if i > 0:
            capped = np.interp(np.minimum(x, levels[-1]), x, cost)  # C_{i-1}(min(S_{i-1}, x))
            cost = echelon[i] * (x - (leads[i] + 1) * mu) + grid.expect_shifted(capped, leads[i])
        levels.append(fixed[i] if fixed is not None else grid.argmin(cost))
    return tuple(levels), float(np.interp(levels[-1], x, cost))
