"""Execution baselines for ``fieldgym/OptimalExecution-v1``: TWAP and Almgren-Chriss.

* :func:`almgren_chriss_holdings`: the closed-form optimal holdings of Almgren and Chriss
  (2000), ``x_j = X sinh(kappa (T - t_j)) / sinh(kappa T)`` with
  ``cosh(kappa tau) = 1 + lambda sigma^2 tau^2 / (2 eta~)``, ``eta~ = eta - gamma tau / 2``.
* :func:`static_optimal_holdings`: the same problem with a temporary impact that varies
  by period (a known liquidity schedule), solved exactly as the tridiagonal linear system
  of its first-order conditions; with constant liquidity it reproduces the closed form.
* :class:`TWAP` (``twap``) sells ``X / N`` per period; :class:`AlmgrenChriss`
  (``almgren_chriss``) follows the optimal static schedule for the environment's liquidity:
  the closed form for constant liquidity, the schedule's solution for a deterministic
  schedule, and for hidden stochastic liquidity the closed form with the expected
  temporary impact ``eta E[1/L] = eta exp(s^2 / 2)`` (the expected cost of a static
  schedule is linear in each period's impact).

Both act on the observation: the period ``k`` is ``round((1 - time_left) N)``; the action
sells the schedule's fraction of what remains.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import solve_banded

from fieldgym.agents.base import Policy
from fieldgym.agents.target import EnvTarget
from fieldgym.envs.core.errors import ConfigError
from fieldgym.envs.trading.execution.config import ExecutionConfig
from fieldgym.envs.trading.execution.dynamics import OBSERVATION, liquidity_schedule


def almgren_chriss_holdings(
    config: ExecutionConfig, risk_aversion: float | None = None
) -> np.ndarray:
    """Optimal holdings ``x_0 .. x_N`` (``x_0 = X``, ``x_N = 0``) with constant liquidity.

    Args:
        config: The execution problem.
        risk_aversion: ``lambda``; default the config's. As it goes to 0 the schedule
            becomes TWAP's straight line.
    """
    lam = config.risk_aversion if risk_aversion is None else risk_aversion
    tau, n = config.tau, config.periods
    eta_tilde = config.temporary_impact - 0.5 * config.permanent_impact * tau
    times = np.arange(n + 1) * tau
    kappa_tilde_sq = lam * config.volatility**2 / eta_tilde
    kappa = math.acosh(1.0 + 0.5 * kappa_tilde_sq * tau**2) / tau
    if kappa * config.horizon < 1e-8:
        return config.initial_shares * (1.0 - times / config.horizon)
    return (
        config.initial_shares
        * np.sinh(kappa * (config.horizon - times))
        / np.sinh(kappa * config.horizon)
    )


def static_optimal_holdings(config: ExecutionConfig, liquidity: np.ndarray) -> np.ndarray:
    """Holdings minimizing ``E[IS] + lambda Var[IS]`` with period ``k``'s impact ``eta / L_k``.

    The objective (up to constants) is ``sum_k (eta~_k / tau) n_k^2 + lambda sigma^2 tau
    sum_k x_k^2`` with ``n_k = x_{k-1} - x_k`` and ``eta~_k = eta / L_k - gamma tau / 2``;
    setting its gradient in ``x_1 .. x_{N-1}`` to zero gives a tridiagonal system.
    """
    n, tau = config.periods, config.tau
    x0 = config.initial_shares
    if n == 1:
        return np.array([x0, 0.0])
    impact = config.temporary_impact / np.asarray(liquidity, dtype=np.float64)
    a = (impact - 0.5 * config.permanent_impact * tau) / tau
    risk = config.risk_aversion * config.volatility**2 * tau
    # d/dx_j: 2 a_j (x_j - x_{j-1}) - 2 a_{j+1} (x_{j+1} - x_j) + 2 risk x_j = 0, j = 1..N-1
    diagonal = a[:-1] + a[1:] + risk
    upper = -a[1:-1]
    lower = -a[1:-1]
    rhs = np.zeros(n - 1)
    rhs[0] = a[0] * x0
    banded = np.zeros((3, n - 1))
    banded[0, 1:] = upper
    banded[1] = diagonal
    banded[2, :-1] = lower
    inner = solve_banded((1, 1), banded, rhs)
    return np.concatenate([[x0], inner, [0.0]])


class SchedulePolicy(Policy):
    """Sells, in period ``k``, the fraction ``(x_k - x_{k+1}) / x_k`` of a holdings schedule.

    Raises:
        ConfigError: If the target is not the execution environment.
    """

    def __init__(self, target: EnvTarget) -> None:
        super().__init__(target)
        config = target.config
        if not isinstance(config, ExecutionConfig):
            raise ConfigError(f"{self.name} is an execution baseline, not one for {target.id}.")
        self.config = config
        self.holdings = self.schedule()
        self.fractions = np.asarray(config.fractions, dtype=np.float64)

    def schedule(self) -> np.ndarray:
        """Holdings ``x_0 .. x_N``."""
        raise NotImplementedError

    def act(self, observation: np.ndarray) -> int | np.ndarray:
        n = self.config.periods
        k = min(round((1.0 - float(observation[OBSERVATION.time_left])) * n), n - 1)
        left = self.holdings[k]
        fraction = (left - self.holdings[k + 1]) / left if left > 0 else 1.0
        if self.config.action_type == "box":
            return np.array([fraction], dtype=np.float32)
        # the discrete level whose sale (a fraction of what is actually left) is closest
        actual = float(observation[OBSERVATION.inventory_left]) * self.config.initial_shares
        wanted = min(max(actual - self.holdings[k + 1], 0.0), actual)
        if actual <= 0:
            return 0
        return int(np.argmin(np.abs(self.fractions * actual - wanted)))


class TWAP(SchedulePolicy):
    """Time-weighted average price: ``X / N`` shares per period."""

    name = "twap"

    def schedule(self) -> np.ndarray:
        n = self.config.periods
        return self.config.initial_shares * (1.0 - np.arange(n + 1) / n)


class AlmgrenChriss(SchedulePolicy):
    """The optimal static schedule for the environment's liquidity (see the module doc)."""

    name = "almgren_chriss"

    def schedule(self) -> np.ndarray:
        config = self.config
        if config.liquidity == "schedule":
            return static_optimal_holdings(config, liquidity_schedule(config))
        if config.liquidity == "stochastic":
            expected = math.exp(0.5 * config.liquidity_volatility**2)  # E[1/L], log L ~ N(0, s^2)
            return static_optimal_holdings(config, np.full(config.periods, 1.0 / expected))
        return almgren_chriss_holdings(config)
