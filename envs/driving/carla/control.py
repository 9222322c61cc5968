"""From the contract's physical command (acceleration, steering angle) to CARLA's pedals.

CARLA drives a vehicle with a ``carla.VehicleControl``: ``throttle`` and ``brake`` in
``[0, 1]`` and ``steer`` in ``[-1, 1]``, positive to the right. The environment commands
a longitudinal acceleration (m/s²) and a front-wheel angle (rad, positive to the left).

Longitudinal: a feed-forward pedal map plus a PI loop on the acceleration error.
The pedal signal ``u`` is positive for throttle and negative for brake; its feed-forward
part is ``a / THROTTLE_ACCEL`` for ``a >= 0`` and ``a / BRAKE_DECEL`` for ``a < 0`` (a
linear map calibrated at the two ends: full throttle of a passenger car at low speed,
full brake at about 0.8 g). The PI part (``KP * e + KI * ∫e``, ``e`` = commanded minus
measured acceleration) absorbs what the linear map misses: drag, rolling resistance,
gear changes, slopes. The integral only grows while the pedals are not saturated
(anti-windup) and is bounded by ``INTEGRAL_LIMIT``. At standstill with a non-positive
command the brake is held fully and the integral cleared, so the car does not creep.

Lateral: ``steer = -angle / max_steer``, clipped to ``[-1, 1]``, where ``max_steer`` is
the largest ``max_steer_angle`` of the front wheels in the vehicle's physics control
(CARLA steers the front wheels by ``steer * max_steer_angle``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

THROTTLE_ACCEL = 4.0
"""Acceleration at full throttle assumed by the feed-forward map (m/s²)."""
BRAKE_DECEL = 8.0
"""Deceleration at full brake assumed by the feed-forward map (m/s²)."""
KP = 0.1
"""Proportional gain (pedal per m/s² of acceleration error)."""
KI = 0.5
"""Integral gain (pedal per m/s² of error per second)."""
INTEGRAL_LIMIT = 1.0
"""Bound of the integral term's contribution (pedal)."""
STANDSTILL_SPEED = 0.1
"""Below this speed (m/s) a non-positive command holds the brake (m/s)."""
DEFAULT_MAX_STEER_DEG = 70.0
"""CARLA's default ``WheelPhysicsControl.max_steer_angle`` (deg), used when a vehicle
reports no front wheels."""


class LongitudinalController:
    """Feed-forward + PI pedal controller tracking a commanded acceleration."""

    def __init__(self) -> None:
        self.integral = 0.0

    def reset(self) -> None:
        """Forget the integral (a new episode, a new vehicle)."""
        self.integral = 0.0

    def pedal(self, target: float, measured: float, speed: float, dt: float) -> tuple[float, float]:
        """Throttle and brake for one step.

        Args:
            target: Commanded acceleration (m/s²).
            measured: Acceleration measured over the previous step (m/s²).
            speed: Current forward speed (m/s).
            dt: Step length (s).

        Returns:
            ``(throttle, brake)``, each in ``[0, 1]``, at most one of them non-zero.
        """
        if speed < STANDSTILL_SPEED and target <= 0.0:
            self.integral = 0.0
            return 0.0, 1.0
        feed_forward = target / THROTTLE_ACCEL if target >= 0.0 else target / BRAKE_DECEL
        error = target - measured
        u = feed_forward + KP * error + self.integral
        saturated = (u >= 1.0 and error > 0.0) or (u <= -1.0 and error < 0.0)
        if not saturated:
            self.integral = min(
                max(self.integral + KI * error * dt, -INTEGRAL_LIMIT), INTEGRAL_LIMIT
            )
        u = min(max(u, -1.0), 1.0)
        return (u, 0.0) if u >= 0.0 else (0.0, -u)


def max_steer_angle(wheels: Sequence[object]) -> float:
    """The largest front-wheel steering angle (rad) of a vehicle's physics control.

    Args:
        wheels: ``VehiclePhysicsControl.wheels``; CARLA lists the front wheels first.
    """
    angles = [float(w.max_steer_angle) for w in list(wheels)[:2]]  # type: ignore[attr-defined]
    degrees = max(angles) if angles and max(angles) > 0.0 else DEFAULT_MAX_STEER_DEG
    return math.radians(degrees)


def steer_command(angle: float, max_steer: float) -> float:
    """CARLA's ``steer`` for a front-wheel angle (rad, positive to the left)."""
    return min(max(-angle / max_steer, -1.0), 1.0)


def steer_angle(steer: float, max_steer: float) -> float:
    """The front-wheel angle (rad, positive to the left) CARLA applies for ``steer``."""
    return -steer * max_steer
