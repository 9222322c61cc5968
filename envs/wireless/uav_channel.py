"""Physics of the UAV environment: channels, association and propulsion power.

Air-to-ground and terrestrial channels, user association under a minimum rate, and
rotary-wing propulsion power:

* Air-to-ground path loss (Al-Hourani, Kandeepan and Lardner, 2014): the line-of-sight
  probability at elevation angle ``theta`` (degrees) is ``1 / (1 + a exp(-b (theta - a)))``
  and the mean path loss is the free-space loss plus ``eta_LoS`` or ``eta_NLoS`` dB,
  weighted by that probability.
* Base stations: the 3GPP macro-cell loss ``128.1 + 37.6 log10(d / 1 km)`` dB.
* Propulsion power of a rotary-wing UAV at speed ``V`` (Zeng, Xu and Zhang, 2019), with
  that paper's parameters.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from fieldgym.envs.wireless.uav_config import UAVConfig

SPEED_OF_LIGHT = 299_792_458.0

# Zeng, Xu and Zhang (2019), Table I: blade profile and induced power in hover (W), tip
# speed of the rotor blade (m/s), mean rotor induced velocity in hover (m/s), fuselage
# drag ratio, air density (kg/m^3), rotor solidity, rotor disc area (m^2).
P0, PI, U_TIP, V0, D0, RHO, SOLIDITY, DISC = 79.86, 88.63, 120.0, 4.03, 0.6, 1.225, 0.05, 0.503


def propulsion_power(speed: np.ndarray) -> np.ndarray:
    """Propulsion power (W) of a rotary-wing UAV flying level at ``speed`` (m/s)."""
    v = np.asarray(speed, dtype=np.float64)
    blade = P0 * (1.0 + 3.0 * v**2 / U_TIP**2)
    induced = PI * np.sqrt(np.sqrt(1.0 + v**4 / (4.0 * V0**4)) - v**2 / (2.0 * V0**2))
    parasite = 0.5 * D0 * RHO * SOLIDITY * DISC * v**3
    return blade + induced + parasite


def los_probability(horizontal_m: np.ndarray, config: UAVConfig) -> np.ndarray:
    """Line-of-sight probability from a UAV at ``altitude_m`` to users at these distances."""
    theta = np.degrees(np.arctan2(config.altitude_m, np.asarray(horizontal_m)))
    return 1.0 / (1.0 + config.los_a * np.exp(-config.los_b * (theta - config.los_a)))


def air_to_ground_loss_db(horizontal_m: np.ndarray, config: UAVConfig) -> np.ndarray:
    """Mean air-to-ground path loss (dB) at horizontal distances ``horizontal_m``."""
    horizontal_m = np.asarray(horizontal_m, dtype=np.float64)
    distance = np.sqrt(horizontal_m**2 + config.altitude_m**2)
    frequency = config.carrier_ghz * 1e9
    free_space = 20.0 * np.log10(4.0 * np.pi * frequency * distance / SPEED_OF_LIGHT)
    p_los = los_probability(horizontal_m, config)
    return free_space + p_los * config.eta_los_db + (1.0 - p_los) * config.eta_nlos_db


def terrestrial_loss_db(distance_m: np.ndarray) -> np.ndarray:
    """3GPP macro-cell path loss (dB), distances below 10 m counted as 10 m."""
    d_km = np.maximum(np.asarray(distance_m, dtype=np.float64), 10.0) / 1000.0
    return 128.1 + 37.6 * np.log10(d_km)


def rate_mbps(loss_db: np.ndarray, power_dbm: float, config: UAVConfig) -> np.ndarray:
    """Shannon rate (Mbit/s) of one user channel with the given path loss and power."""
    bandwidth = config.user_bandwidth_mhz * 1e6
    noise_dbm = config.noise_dbm_hz + 10.0 * np.log10(bandwidth) + config.noise_figure_db
    snr = 10.0 ** ((power_dbm - loss_db - noise_dbm) / 10.0)
    return config.user_bandwidth_mhz * np.log2(1.0 + snr)


def pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances ``(len(a), len(b))`` between two sets of 2-D points."""
    return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)


def uav_rates(users: np.ndarray, uavs: np.ndarray, config: UAVConfig) -> np.ndarray:
    """Rate (Mbit/s) each user ``(U, 2)`` would get from each UAV ``(N, 2)``: ``(U, N)``."""
    loss = air_to_ground_loss_db(pairwise(users, uavs), config)
    return rate_mbps(loss, config.uav_power_dbm, config)


def bs_rates(users: np.ndarray, config: UAVConfig) -> np.ndarray:
    """The best base-station rate (Mbit/s) of each user, 0 without base stations."""
    if not config.base_stations:
        return np.zeros(len(users))
    stations = np.asarray(config.base_stations, dtype=np.float64)
    loss = terrestrial_loss_db(pairwise(users, stations))
    return rate_mbps(loss, config.bs_power_dbm, config).max(axis=1)


def associate(
    users: np.ndarray, uavs: np.ndarray, config: UAVConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Associate users: as many as possible to UAVs, the rest to base stations.

    A user may join a UAV that gives it at least ``min_rate_mbps``; each UAV takes at
    most ``uav_capacity`` users. Among the associations with the most UAV-served users
    (a maximum bipartite b-matching, solved as an assignment problem over capacity
    slots), the one with the largest total rate is chosen. Users left over join the best
    base station if it gives them ``min_rate_mbps``.

    Returns:
        ``serving`` ``(U,)``: the UAV index, ``-1`` for a base station, ``-2`` for no
        service; and ``rates`` ``(U,)``: each user's rate (Mbit/s, 0 without service).
    """
    rates = uav_rates(users, uavs, config)
    eligible = rates >= config.min_rate_mbps
    serving = np.full(len(users), -2, dtype=np.int64)
    out = np.zeros(len(users))
    if eligible.any():
        scale = max(float(rates.max()), 1e-9)
        cost = np.where(eligible, -1.0 - 1e-3 * rates / scale, 0.0)
        slots = np.repeat(cost, config.uav_capacity, axis=1)
        rows, cols = linear_sum_assignment(slots)
        keep = eligible[rows, cols // config.uav_capacity]
        rows, uav = rows[keep], cols[keep] // config.uav_capacity
        serving[rows] = uav
        out[rows] = rates[rows, uav]
    ground = bs_rates(users, config)
    fallback = (serving == -2) & (ground >= config.min_rate_mbps)
    serving[fallback] = -1
    out[fallback] = ground[fallback]
    return serving, out
