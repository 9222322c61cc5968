"""OptimalExecution-v1 against Almgren and Chriss (2000): their schedule is optimal for the
environment's own objective, TWAP is its zero-risk-aversion limit, and the simulated cost
has their closed-form mean and variance."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import fieldgym  # noqa: F401
from fieldgym.agents import EnvTarget, make_agent
from fieldgym.agents.trading.execution import almgren_chriss_holdings, static_optimal_holdings
from fieldgym.envs.trading.execution.config import ExecutionConfig
from fieldgym.envs.trading.execution.dynamics import liquidity_schedule

ENV_ID = "fieldgym/OptimalExecution-v1"
EPISODES = 4000


def simulate(holdings: np.ndarray, seed: int = 0, **fields) -> np.ndarray:
    """Episode returns of a static holdings schedule, one per copy, common random numbers."""
    vector = gym.make_vec(ENV_ID, num_envs=EPISODES, action_type="box", **fields)
    vector.reset(seed=seed)
    totals = np.zeros(EPISODES)
    n = len(holdings) - 1
    for k in range(n):
        fraction = (holdings[k] - holdings[k + 1]) / holdings[k] if holdings[k] > 0 else 1.0
        _, rewards, terminated, _, _ = vector.step(np.full((EPISODES, 1), fraction))
        totals += rewards
    assert terminated.all()
    return totals


def test_simulated_cost_has_almgren_chriss_mean_and_variance():
    config = ExecutionConfig()
    x = almgren_chriss_holdings(config)
    sold = -np.diff(x)
    eta_tilde = config.temporary_impact - 0.5 * config.permanent_impact * config.tau
    mean = (
        0.5 * config.permanent_impact * config.initial_shares**2
        + config.spread_cost * config.initial_shares
        + eta_tilde / config.tau * np.sum(sold**2)
    )
    variance = config.volatility**2 * config.tau * np.sum(x[1:] ** 2)
    value = config.initial_shares * config.initial_price / 1e4  # rewards are in bps
    returns = simulate(x)
    objective = mean + config.risk_aversion * variance
    assert -returns.mean() * value == pytest.approx(objective, rel=0.02)
    # the shortfall part alone: mean E[IS] and standard deviation sqrt(Var[IS])
    risk_bps = config.risk_aversion * variance / value
    shortfall = -(returns + risk_bps) * value
    assert shortfall.mean() == pytest.approx(mean, rel=0.02)
    assert shortfall.std() == pytest.approx(np.sqrt(variance), rel=0.05)


@pytest.mark.parametrize("shape", ["front", "back", "middle"])
def test_almgren_chriss_is_optimal_for_the_environments_objective(shape):
    config = ExecutionConfig()
    x = almgren_chriss_holdings(config)
    n = config.periods
    u = np.arange(n + 1) / n
    bump = {"front": -np.sin(np.pi * u), "back": np.sin(np.pi * u), "middle": np.sin(2 * np.pi * u)}
    best = simulate(x).mean()
    for size in (0.02, 0.05):
        perturbed = np.clip(x + size * config.initial_shares * bump[shape], 0, None)
        perturbed[0], perturbed[-1] = config.initial_shares, 0.0
        perturbed = np.minimum.accumulate(perturbed)  # a selling schedule never buys back
        assert simulate(perturbed).mean() < best  # same seed: common random numbers


def test_twap_is_the_zero_risk_aversion_limit_and_the_policies_follow_their_schedules():
    config = ExecutionConfig()
    straight = config.initial_shares * (1 - np.arange(config.periods + 1) / config.periods)
    for lam in (1e-9, 1e-12):
        np.testing.assert_allclose(
            almgren_chriss_holdings(config, lam), straight, atol=1e-3 * config.initial_shares
        )
    gaps = [
        np.abs(almgren_chriss_holdings(config, lam) - straight).max() for lam in (1e-6, 1e-7, 1e-8)
    ]
    assert gaps[0] > gaps[1] > gaps[2]
    twap = simulate(straight).mean()
    assert simulate(almgren_chriss_holdings(config)).mean() > twap  # lambda > 0: AC beats TWAP
    for name, holdings in (("twap", straight), ("almgren_chriss", almgren_chriss_holdings(config))):
        env = gym.make(ENV_ID, action_type="box")
        policy = make_agent(name, EnvTarget(ENV_ID, {"action_type": "box"}))
        observation, _ = env.reset(seed=0)
        done, left = False, []
        while not done:
            observation, _, done, _, info = env.step(policy.act(observation))
            left.append(info["kpi"]["remaining"])
        np.testing.assert_allclose(left, holdings[1:], rtol=1e-5, atol=1.0)


def test_schedule_solver_reproduces_the_closed_form_and_beats_it_on_a_known_schedule():
    config = ExecutionConfig()
    np.testing.assert_allclose(
        static_optimal_holdings(config, np.ones(config.periods)),
        almgren_chriss_holdings(config),
        rtol=1e-9,
    )
    varying = ExecutionConfig(liquidity="schedule", liquidity_amplitude=0.8)
    tuned = static_optimal_holdings(varying, liquidity_schedule(varying))
    assert (
        simulate(tuned, liquidity="schedule", liquidity_amplitude=0.8).mean()
        > simulate(
            almgren_chriss_holdings(varying), liquidity="schedule", liquidity_amplitude=0.8
        ).mean()
    )


def test_discrete_actions_sell_fractions_of_what_remains():
    env = gym.make(ENV_ID, fractions=[0.0, 0.5, 1.0], periods=4)
    env.reset(seed=0)
    _, _, done, _, info = env.step(1)
    assert info["kpi"]["sold"] == pytest.approx(500_000) and not done
    _, _, done, _, info = env.step(0)
    assert info["kpi"]["sold"] == 0 and info["kpi"]["remaining"] == pytest.approx(500_000)
    _, _, done, _, info = env.step(0)
    _, _, done, _, info = env.step(0)  # the last period sells everything left
    assert done and info["kpi"]["remaining"] == 0 and info["kpi"]["sold"] == pytest.approx(500_000)


@pytest.mark.parametrize("liquidity", ["constant", "stochastic"])
def test_vector_copy_retraces_the_single_env_across_terminations(liquidity):
    # tests/envs/test_registered_envs.py resets its single env on truncation only; episodes
    # here end by termination (all shares sold), so the same check is made here.
    single = gym.make(ENV_ID, liquidity=liquidity)
    vector = gym.make_vec(ENV_ID, num_envs=1, liquidity=liquidity)
    obs, _ = single.reset(seed=7)
    vobs, _ = vector.reset(seed=7)
    single.action_space.seed(7)
    episodes = 0
    for _ in range(100):
        action = single.action_space.sample()
        obs, reward, terminated, truncated, _ = single.step(action)
        vobs, vreward, vterm, vtrunc, vinfo = vector.step(np.array([action]))
        assert (vterm[0], vtrunc[0]) == (terminated, truncated)
        assert vreward[0] == pytest.approx(reward)
        if terminated:
            np.testing.assert_array_equal(vinfo["final_obs"][0], obs)
            obs, _ = single.reset()
            episodes += 1
        np.testing.assert_array_equal(vobs[0], obs)
    assert episodes >= 3
