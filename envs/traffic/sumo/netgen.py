"""SUMO networks and demand for the grid a :class:`TrafficConfig` describes.

:func:`generate` runs SUMO's ``netgenerate`` (a ``rows × cols`` grid with entry and exit
links of ``link_length``), then rewrites every incoming link's connections with
``netconvert`` so that each lane serves exactly one movement, as in the built-in
simulator: the rightmost ``lanes[2]`` lanes turn right, the next ``lanes[1]`` go through
and the leftmost ``lanes[0]`` turn left. It writes the demand (:mod:`.routes`) and a
``layout.json`` that names, per intersection, the SUMO lanes of each lane group and the
edges of each side. Files go to a cache folder keyed by the fields they depend on, and
are written to a temporary folder first, so concurrent processes never see half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from fieldgym.envs.core.errors import FieldgymError
from fieldgym.envs.core.files import atomic_folder
from fieldgym.envs.traffic.config import TrafficConfig
from fieldgym.envs.traffic.sumo.routes import write_routes

NET_FIELDS = ("rows", "cols", "link_length", "speed_limit", "lanes")
DEMAND_FIELDS = ("entry_flows", "turning_ratios", "flow_profile", "profile_interval", "arrivals")
CACHE = Path(tempfile.gettempdir()) / "fieldgym-sumo"
"""Where generated networks are kept (``FIELDGYM_SUMO_CACHE`` overrides it)."""


def cache_root() -> Path:
    """The folder holding fieldgym's SUMO files (:data:`CACHE` or ``FIELDGYM_SUMO_CACHE``)."""
    return Path(os.environ.get("FIELDGYM_SUMO_CACHE", CACHE))


def cache_key(config: TrafficConfig, extra: str = "") -> str:
    """A short hash of the config fields the generated files depend on."""
    fields = {name: getattr(config, name) for name in (*NET_FIELDS, *DEMAND_FIELDS)}
    text = json.dumps(fields, sort_keys=True, default=str) + extra
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def run_tool(home: Path, tool: str, args: list[str]) -> None:
    """Run a SUMO tool from ``home/bin``; raise with its output if it fails."""
    env = {**os.environ, "SUMO_HOME": str(home)}
    done = subprocess.run(
        [str(home / "bin" / tool), *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise FieldgymError(f"SUMO's {tool} failed ({done.returncode}): {done.stderr.strip()}")


def side_of(node: tuple[float, float], other: tuple[float, float]) -> int:
    """The side (N=0, E=1, S=2, W=3) of ``node`` on which ``other`` lies."""
    dx, dy = other[0] - node[0], other[1] - node[1]
    if abs(dy) >= abs(dx):
        return 0 if dy > 0 else 2
    return 1 if dx > 0 else 3


def grid_layout(nodes: dict[str, dict[str, Any]], edges: list[dict[str, str]], rows: int) -> dict:
    """Intersections (row-major from the north-west), their edges by side, from plain XML."""
    tls = [n for n, attrs in nodes.items() if attrs["type"] == "traffic_light"]
    xs = sorted({nodes[n]["x"] for n in tls})
    ys = sorted({nodes[n]["y"] for n in tls}, reverse=True)  # row 0 is the north
    by_cell = {(ys.index(nodes[n]["y"]), xs.index(nodes[n]["x"])): n for n in tls}
    intersections = []
    for r in range(rows):
        for c in range(len(xs)):
            node = by_cell[(r, c)]
            here = (nodes[node]["x"], nodes[node]["y"])
            incoming, outgoing = [None] * 4, [None] * 4
            for edge in edges:
                if edge["to"] == node:
                    src = nodes[edge["from"]]
                    incoming[side_of(here, (src["x"], src["y"]))] = edge["id"]
                elif edge["from"] == node:
                    dst = nodes[edge["to"]]
                    outgoing[side_of(here, (dst["x"], dst["y"]))] = edge["id"]
            intersections.append(
                {"node": node, "row": r, "col": c, "incoming": incoming, "outgoing": outgoing}
            )
    return {"intersections": intersections}


def lane_groups(lanes: tuple[int, int, int]) -> list[list[int]]:
    """Lane indices (0 = rightmost) of the left, through and right lane groups."""
    left, through, right = lanes
    total = left + through + right
    return [
        list(range(right + through, total)),
        list(range(right, right + through)),
        list(range(right)),
    ]


def connections_xml(layout: dict, lanes: tuple[int, int, int]) -> str:
    """A netconvert connection file giving each lane exactly one movement."""
    groups = lane_groups(lanes)
    total = sum(lanes)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<connections>"]
    for inter in layout["intersections"]:
        for a, edge in enumerate(inter["incoming"]):
            for m in range(3):
                target = inter["outgoing"][(a + 1 + m) % 4]
                if edge is None or target is None:
                    continue
                for k, lane in enumerate(groups[m]):
                    to_lane = {0: total - 1 - k, 1: lane, 2: k}[m]
                    lines.append(
                        f'  <connection from="{edge}" to="{target}" fromLane="{lane}" '
                        f'toLane="{min(max(to_lane, 0), total - 1)}"/>'
                    )
    lines.append("</connections>")
    return "\n".join(lines) + "\n"


def generate(config: TrafficConfig, home: Path) -> Path:
    """The folder holding ``net.net.xml``, ``routes.rou.xml`` and ``layout.json`` for ``config``.

    Generated on first use and cached (see the module docstring).
    """
    root = cache_root()
    folder = root / cache_key(config)
    if (folder / "layout.json").is_file():
        return folder
    with atomic_folder(folder) as work:
        total = sum(config.lanes)
        run_tool(
            home,
            "netgenerate",
            [
                "--grid",
                "--grid.x-number", str(config.cols),
                "--grid.y-number", str(config.rows),
                "--grid.length", str(config.link_length),
                "--grid.attach-length", str(config.link_length),
                "--default.lanenumber", str(total),
                "--default.speed", str(config.speed_limit),
                "--default.junctions.type", "traffic_light",
                "--no-turnarounds", "true",
                "--plain-output-prefix", str(work / "plain"),
                "--output-file", str(work / "draft.net.xml"),
                "--no-warnings",
            ],
        )  # fmt: skip
        nodes = {
            n.get("id"): {"x": float(n.get("x")), "y": float(n.get("y")), "type": n.get("type")}
            for n in ET.parse(work / "plain.nod.xml").getroot().iter("node")
        }
        edges = [
            {"id": e.get("id"), "from": e.get("from"), "to": e.get("to")}
            for e in ET.parse(work / "plain.edg.xml").getroot().iter("edge")
        ]
        layout = grid_layout(nodes, edges, config.rows)
        (work / "plain.con.xml").write_text(connections_xml(layout, config.lanes))
        run_tool(
            home,
            "netconvert",
            [
                "--node-files", str(work / "plain.nod.xml"),
                "--edge-files", str(work / "plain.edg.xml"),
                "--connection-files", str(work / "plain.con.xml"),
                "--no-turnarounds", "true",
                "--output-file", str(work / "net.net.xml"),
                "--no-warnings",
            ],
        )  # fmt: skip
        groups = lane_groups(config.lanes)
        for inter in layout["intersections"]:
            inter["lanes"] = [
                [f"{edge}_{k}" for k in groups[m]] if edge is not None else []
                for edge in inter["incoming"]
                for m in range(3)
            ]
        layout["entries"] = [
            {"edge": inter["incoming"][side], "side": side, "intersection": i}
            for i, inter in enumerate(layout["intersections"])
            for side in range(4)
            if _is_fringe(nodes, edges, inter["incoming"][side])
        ]
        write_routes(config, layout, work / "routes.rou.xml")
        (work / "layout.json").write_text(json.dumps(layout, indent=1))
        for name in ("plain.nod.xml", "plain.edg.xml", "plain.con.xml", "plain.tll.xml"):
            (work / name).unlink(missing_ok=True)
        (work / "draft.net.xml").unlink(missing_ok=True)
    return folder


def _is_fringe(nodes: dict, edges: list[dict[str, str]], edge_id: str | None) -> bool:
    if edge_id is None:
        return False
    source = next(e["from"] for e in edges if e["id"] == edge_id)
    return nodes[source]["type"] != "traffic_light"
