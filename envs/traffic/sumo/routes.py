"""SUMO demand for a generated grid: route distributions by turning ratio, and flows.

Every entry link gets one flow (per ``flow_profile`` interval) whose vehicles draw their
route from a route distribution: the paths through the grid, each with the product of
the turning ratios along it (paths less likely than :data:`MIN_PATH_PROBABILITY` are
dropped and the rest renormalized). That is the built-in simulator's memoryless turning,
vehicle by vehicle. Poisson arrivals use SUMO's exponential headways
(``period="exp(rate)"``), constant ones evenly spaced vehicles (``vehsPerHour``).
Vehicles leave just after entering their exit link (``arrivalPos``), since the built-in
simulator counts a vehicle as finished when it clears its last stop line.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from fieldgym.envs.traffic.config import TrafficConfig

HORIZON = 86_400.0
"""Seconds of demand written (one day); longer episodes see no new vehicles after it."""
MIN_PATH_PROBABILITY = 1e-4
MAX_PATH_LENGTH = 64


def enumerate_paths(config: TrafficConfig, layout: dict, entry: dict) -> list[tuple[list, float]]:
    """The routes (edge lists) from one entry and their probabilities (summing to 1)."""
    rows, cols = config.rows, config.cols
    inters = layout["intersections"]
    out: list[tuple[list, float]] = []
    stack = [(entry["intersection"], entry["side"], [entry["edge"]], 1.0)]
    while stack:
        i, a, edges, p = stack.pop()
        for m, ratio in enumerate(config.turning_ratios):
            q = p * ratio
            if q < MIN_PATH_PROBABILITY:
                continue
            d = (a + 1 + m) % 4
            edge = inters[i]["outgoing"][d]
            r, c = divmod(i, cols)
            dr, dc = ((-1, 0), (0, 1), (1, 0), (0, -1))[d]
            r, c = r + dr, c + dc
            path = [*edges, edge]
            if 0 <= r < rows and 0 <= c < cols and len(path) < MAX_PATH_LENGTH:
                stack.append((r * cols + c, (d + 2) % 4, path, q))
            else:
                out.append((path, q))
    total = sum(p for _, p in out)
    return [(path, p / total) for path, p in out]


def write_routes(config: TrafficConfig, layout: dict, path: Path) -> None:
    """Write the route file of a generated grid (see the module docstring)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<routes>",
        f'  <vType id="car" length="5" minGap="2.5" maxSpeed="{config.speed_limit:.2f}" '
        'speedDev="0"/>',
    ]
    for k, entry in enumerate(layout["entries"]):
        lines.append(f'  <routeDistribution id="entry{k}">')
        for n, (edges, p) in enumerate(enumerate_paths(config, layout, entry)):
            lines.append(
                f'    <route id="entry{k}_{n}" edges={quoteattr(" ".join(edges))} '
                f'probability="{p:.8f}"/>'
            )
        lines.append("  </routeDistribution>")
    flows = []
    steps = max(1, int(HORIZON // config.profile_interval))
    profile = config.flow_profile
    for step in range(steps if len(profile) > 1 else 1):
        begin = step * config.profile_interval if len(profile) > 1 else 0.0
        end = begin + config.profile_interval if len(profile) > 1 else HORIZON
        factor = profile[step % len(profile)]
        for k, entry in enumerate(layout["entries"]):
            rate = config.entry_flows[entry["side"]] * factor / 3600.0
            if rate <= 0:
                continue
            spacing = f'period="exp({rate:.8f})"'
            if config.arrivals == "constant":
                spacing = f'vehsPerHour="{rate * 3600.0:.6f}"'
            flows.append(
                (
                    begin,
                    f'  <flow id="f{k}_{step}" type="car" route="entry{k}" begin="{begin:.1f}" '
                    f'end="{end:.1f}" {spacing} departLane="best" departSpeed="max" '
                    'departPos="base" arrivalPos="1"/>',
                )
            )
    lines.extend(line for _, line in sorted(flows, key=lambda item: item[0]))
    lines.append("</routes>")
    path.write_text("\n".join(lines) + "\n")
