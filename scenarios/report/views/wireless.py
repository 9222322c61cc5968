"""What wireless reports show: backlogs, the delay breakdown and Pareto fronts.

Server backlogs over an episode, the delay breakdown per agent, and the Pareto fronts of a
run whose offloading environments differ by preference (:func:`pareto_sections`). The
domain's two environments share this view; each table keeps only the metrics its
environment reports (offloading: delay, energy, drops; UAVs: association and rates).
"""

from __future__ import annotations

from typing import Any

from fieldgym.scenarios.report.domains import DomainView, SectionInput

OFFLOADING = "fieldgym/EdgeOffloading-v1"
PARETO_FIGURE = "pareto_fronts.png"


def pareto_sections(run: SectionInput) -> list[Any]:
    """The agents' Pareto fronts over the preferences of the run's offloading environments.

    Each (agent, environment) gives one point: the mean over training seeds and evaluation
    episodes of the delay objective and energy per task, divided by the environment's
    reward scales. Hypervolumes are pymoo's, against one reference point shared by every
    agent (the worst point seen, plus 10%). No section when fewer than two preferences ran
    or the environments' scales differ (their points would not share axes).
    """
    from fieldgym.agents.target import EnvTarget
    from fieldgym.agents.wireless.pareto import hypervolume_table, objective_points, plot_fronts
    from fieldgym.scenarios.report.tables import Section, Table, fmt
    from fieldgym.scenarios.run.store import atomic_path

    plan, results = run.plan, run.results
    configs = {
        e.label: EnvTarget(e.id, dict(e.kwargs)).config for e in run.envs if e.id == OFFLOADING
    }
    weights = {label: float(c.preference[0]) for label, c in configs.items()}
    scales = {(c.delay_scale_s, c.energy_scale_j) for c in configs.values()}
    if len(set(weights.values())) < 2 or len(scales) != 1:
        return []
    (delay_scale, energy_scale) = scales.pop()
    rows = results[results["env"].isin(list(configs))]
    points = objective_points(
        rows.assign(w_delay=rows["env"].map(weights)), delay_scale, energy_scale
    )
    hv = hypervolume_table(points)
    with atomic_path(run.out / PARETO_FIGURE) as tmp:
        plot_fronts(points, tmp, f"Fronts of {plan.name}", run.colors)
    baselines = [a.label for a in plan.agents if not a.learns]
    best = hv.loc[hv["agent"].isin(baselines), "hypervolume"].max()
    header = [
        "agent",
        "kind",
        "hypervolume",
        "vs best baseline",
        "front size",
        "min delay",
        "min energy",
    ]
    ranking = [
        [
            r.agent,
            "baseline" if r.agent in baselines else "learner",
            f"{r.hypervolume:.4f}",
            f"{r.hypervolume / best:.3f}" if best > 0 else "–",
            str(r.front_size),
            fmt(r.min_delay),
            fmt(r.min_energy),
        ]
        for r in hv.itertuples()
    ]
    point_rows = [
        [r.agent, f"{r.w_delay:g}", fmt(r.delay), fmt(r.energy)] for r in points.itertuples()
    ]
    ref = (hv["ref_delay"].iloc[0], hv["ref_energy"].iloc[0])
    section = Section(
        "Pareto fronts over the preferences",
        [
            Table(
                "Hypervolume of each agent's front (higher is better)",
                header,
                ranking,
                f"Reference point (scaled delay, energy): ({ref[0]:.3f}, {ref[1]:.3f}).",
            ),
            Table(
                "Points (scaled objectives per delay weight)",
                ["agent", "w_delay", "delay", "energy"],
                point_rows,
            ),
        ],
        [("Each agent's points and Pareto front (lower-left is better)", PARETO_FIGURE)],
        intro=(
            f"One point per agent and delay weight ({sorted(set(weights.values()))}): the mean "
            f"delay objective / {delay_scale:g} s and energy / {energy_scale:g} J per task over "
            "every training seed and evaluation episode. Hypervolume by pymoo against one "
            "reference point shared by all agents (the worst point seen, plus 10%)."
        ),
    )
    return [section]


VIEW = DomainView(
    metrics=(
        "avg_weighted_cost",
        "avg_delay",
        "avg_energy",
        "avg_delay_objective",
        "drop_rate",
        "deadline_met_rate",
        "offload_share",
        "cloud_share",
        "association_share",
        "avg_rate_mbps",
        "jain_fairness",
        "avg_energy_j",
        "collisions",
    ),
    trace_kpis=("server_backlog", "delay", "energy", "action"),
    levels_kpi="server_backlog",
    levels_label="seconds until the server is free",
    levels_series="server {i}",
    time_label="task",
    stack=("avg_tx_time", "avg_queue_time", "avg_compute_time"),
    stack_label="average delay per task (s)",
    sections=pareto_sections,
)
