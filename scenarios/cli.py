"""The ``fieldgym`` command: list, train, backtest, compare, report and tune.

::

    fieldgym list [--fields]
    fieldgym train ENV_ID --agent NAME (--steps N | --seconds S) [--seed S] --out DIR [--preset P]
                   [--set FIELD=VALUE ...] [--param NAME=VALUE ...]
    fieldgym backtest ENV_ID --agent NAME [--preset P] [--set ...] [--param ...] [--seeds ...]
    fieldgym backtest [ENV_ID] --model DIR [--trust-pickle] [--seeds ...] [--csv FILE]
    fieldgym compare SCENARIO.yaml [--workers N] [--runs RUN_DIR] [--out DIR] [--fresh]
    fieldgym report RUN_DIR [--out DIR]
    fieldgym tune (SCENARIO.yaml | ENV_ID) --agent NAME --trials N --seconds S [--preset P]
                  [--set ...] [--env LABEL] [--storage URL_OR_FILE] [--study NAME]
                  [--workers K] [--backend local|ray] [--address A]
                  [--validation-seeds 50000:50005] [--checkpoints 4] [--max-steps T]
                  [--seed 0] [--train-seeds 1] [--write | --write-to DIR]

Values of ``--set`` and ``--param`` are read as YAML (``lead_times=[1,1,2,2]``,
``lost_sales=true``, ``demand=poisson``). fieldgym's own errors (a bad config field, a
missing file, a missing optional dependency, failed trials) print one line to stderr and
exit with status 2; an interrupted compare or tune keeps its finished trials and resumes
when rerun. ``tune`` searches a learner's hyperparameters with Optuna on validation seeds
(:mod:`fieldgym.scenarios.tune`); ``--write`` puts the best into ``hyperparams/<agent>.yml``.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

import gymnasium as gym
import pandas as pd
import yaml

from fieldgym.envs.core.errors import ConfigError, DataError, FieldgymError

PACKAGED = Path(__file__).resolve().parent
"""Where the packaged scenario files live (``fieldgym compare quickstart`` finds them)."""
DEFAULT_EVAL_SEEDS = "10000:10010"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
        args.argv = argv
        return int(args.func(args) or 0)
    except FieldgymError as exc:
        print(f"fieldgym: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fieldgym: interrupted; finished trials are kept, rerun to resume.", file=sys.stderr)
        return 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a misuse is one line and exit 2 like every other fieldgym error."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{self.prog}: {message} (see `{self.prog} --help`).")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(
        prog="fieldgym", description="Train, backtest and compare agents on fieldgym environments."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="environment ids and agents")
    p.add_argument(
        "--fields", action="store_true", help="also list each environment's config fields"
    )
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("train", help="train a learner and save it")
    p.add_argument("env_id", metavar="ENV_ID")
    _agent_options(p)
    p.add_argument("--steps", type=at_least_one, help="environment steps to train for")
    p.add_argument(
        "--seconds",
        type=positive_seconds,
        help="seconds of training wall time (with --steps: the first)",
    )
    p.add_argument("--seed", type=seed_number, default=0, help="training seed (default 0)")
    p.add_argument(
        "--out", required=True, help="folder to save the model (and TensorBoard logs) in"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("backtest", help="evaluate a baseline or a saved model over fixed seeds")
    p.add_argument(
        "env_id", metavar="ENV_ID", nargs="?", help="optional with --model (default: its env)"
    )
    _agent_options(p, required=False)
    p.add_argument("--model", help="a folder written by `fieldgym train` or a run's models/<trial>")
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="also load a model in stable-baselines3's pickle format (model.zip); unpickling "
        "runs code from the file: only for models from a trusted source",
    )
    p.add_argument(
        "--seeds",
        nargs="+",
        default=[DEFAULT_EVAL_SEEDS],
        help=f"evaluation seeds: integers and/or START:STOP ranges (default {DEFAULT_EVAL_SEEDS})",
    )
    p.add_argument(
        "--max-steps", type=at_least_one, help="episode length (default: the registered limit)"
    )
    p.add_argument("--csv", help="write the per-episode table to this CSV file")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("compare", help="run a scenario's trials, then write its report")
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="a scenario file or a packaged name")
    p.add_argument(
        "--workers", type=at_least_one, help="worker processes (default: the scenario's)"
    )
    p.add_argument("--runs", help="run folder (default runs/<scenario name>)")
    p.add_argument("--out", help="report folder (default reports/<scenario name>)")
    p.add_argument("--fresh", action="store_true", help="delete earlier results first")
    p.add_argument(
        "--backend",
        choices=["local", "ray"],
        default="local",
        help="where trials run: a local process pool (default) or a Ray cluster",
    )
    p.add_argument(
        "--address",
        help="Ray cluster address ('auto' after `ray start`, or HOST:PORT; "
        "default: a local Ray instance for the run)",
    )
    _tensorboard_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("report", help="write the report of a run folder again")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--out", help="report folder (default reports/<scenario name>)")
    _tensorboard_option(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("tune", help="search a learner's hyperparameters with Optuna")
    p.add_argument(
        "target",
        metavar="SCENARIO.yaml|ENV_ID",
        help="an environment id, or a scenario (its environment and headline metric)",
    )
    _agent_options(p, params=False)
    p.add_argument("--env", dest="env_label", metavar="LABEL", help="a scenario's environment")
    p.add_argument(
        "--trials", type=at_least_one, required=True, help="finished trials wanted in the study"
    )
    p.add_argument(
        "--seconds", type=positive_seconds, required=True, help="CPU seconds of training per trial"
    )
    p.add_argument(
        "--storage", help="a journal file or a database URL (default runs/tune/<study>.journal)"
    )
    p.add_argument("--study", help="study name (default <agent>__<env id[preset=P]>)")
    p.add_argument("--workers", type=at_least_one, default=1, help="trials run at once (default 1)")
    p.add_argument("--backend", choices=["local", "ray"], default="local")
    p.add_argument("--address", help="Ray cluster address (default: a local Ray instance)")
    p.add_argument(
        "--validation-seeds",
        nargs="+",
        default=["50000:50005"],
        help="seeds scoring each trial, disjoint from evaluation seeds (default 50000:50005)",
    )
    p.add_argument(
        "--validation-dates",
        metavar="START:END",
        help="dated market data: the backtest range scoring each trial, before the test dates "
        "(default: a scenario's test range moved to just before itself)",
    )
    p.add_argument(
        "--checkpoints", type=at_least_one, default=4, help="evaluations per trial (pruning)"
    )
    p.add_argument("--max-steps", type=at_least_one, help="validation episode length")
    p.add_argument(
        "--seed", type=seed_number, default=0, help="added to each trial's number: its seed"
    )
    p.add_argument(
        "--train-seeds",
        type=at_least_one,
        default=1,
        help="trainings per trial, on as many seeds; the trial scores their mean (default 1)",
    )
    p.add_argument(
        "--write", action="store_true", help="write the best trial into hyperparams/<agent>.yml"
    )
    p.add_argument("--write-to", metavar="DIR", help="write the best into DIR/<agent>.yml instead")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_tune)
    return parser


def _tensorboard_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-tensorboard",
        dest="tensorboard",
        action="store_false",
        help="do not copy the training logs into the report folder",
    )


def _agent_options(p: argparse.ArgumentParser, required: bool = True, params: bool = True) -> None:
    p.add_argument("--agent", required=required, help="a registered agent (see `fieldgym list`)")
    p.add_argument("--preset", help="the environment's named preset")
    p.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="env config field"
    )
    if params:
        p.add_argument(
            "--param", action="append", default=[], metavar="NAME=VALUE", help="agent parameter"
        )


# Helpers.


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of 1 or more (steps, trials, workers, ...)."""
    value = _number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; give 1 or more")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds above 0."""
    value = _number(text, float, "a number of seconds")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not allowed; give seconds above 0")
    return value


def seed_number(text: str) -> int:
    """An argparse type: a seed, a whole number of 0 or more."""
    value = _number(text, int, "a whole number")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; seeds are 0 or more")
    return value


def _number(text: str, kind: type, what: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def writable_folder(folder: str | Path, option: str) -> Path:
    """``folder``, created if missing, after checking that files can be written in it.

    Checked before any work, so a bad ``--out`` or ``--csv`` does not lose a finished run.

    Raises:
        ConfigError: Naming the option, the folder and why it cannot be written.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"{option} {str(folder)!r}: the folder cannot be created ({exc.strerror}); "
            "give a folder you can write to."
        ) from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{option} {str(folder)!r}: you cannot write in this folder; give one you can."
        )
    return folder


def writable_file(path: str | Path, option: str) -> Path:
    """``path``, after checking that it can be written (its folder made if missing).

    Raises:
        ConfigError: If it is a folder, or it or its folder cannot be written.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{option} {str(path)!r} is a folder; give a file name.")
    writable_folder(path.parent, option)
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"{option} {str(path)!r}: the file is read-only; give another.")
    return path


def parse_pairs(pairs: Sequence[str], what: str) -> dict[str, Any]:
    """``["a=1", "b=[1,2]"]`` -> ``{"a": 1, "b": [1, 2]}`` (values read as YAML)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{what} {pair!r} is not KEY=VALUE.")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{what} {pair!r}: the value is not valid YAML ({exc}).") from exc
    return out


def parse_seeds(items: Sequence[str], option: str = "--seeds") -> list[int]:
    """Integers and ``START:STOP`` ranges (stop excluded) -> a list of seeds."""
    seeds: list[int] = []
    for item in items:
        for part in item.replace(",", " ").split():
            try:
                if ":" in part:
                    start, stop = part.split(":")
                    seeds.extend(range(int(start), int(stop)))
                else:
                    seeds.append(int(part))
            except ValueError as exc:
                raise ConfigError(
                    f"{option} {part!r} is not an integer or a START:STOP range."
                ) from exc
    if not seeds:
        raise ConfigError(f"{option} selects no seed.")
    if min(seeds) < 0:
        raise ConfigError(f"{option}: {min(seeds)} is not allowed; seeds are 0 or more.")
    return seeds


def make_target(
    env_id: str,
    preset: str | None,
    sets: Sequence[str],
    base: dict[str, Any] | None = None,
    multi_agent: bool = False,
) -> Any:
    """An :class:`EnvTarget` whose config is built (and so checked) now.

    With ``multi_agent``, multi-agent ids are accepted too (giving a ``ParallelTarget``).
    """
    from fieldgym.agents.target import make_target as target_of
    from fieldgym.envs import ENVS, PARALLEL_ENVS

    ids = [*ENVS, *(PARALLEL_ENVS if multi_agent else ())]
    if env_id not in ids:
        hint = difflib.get_close_matches(env_id, ids, n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(f"Unknown environment id {env_id!r}.{suggestion} Ids: {', '.join(ids)}.")
    kwargs = {**(base or {}), **parse_pairs(sets, "--set")}
    if preset:
        kwargs["preset"] = preset
    target = target_of(env_id, kwargs)
    try:
        _ = target.config
    except TypeError as exc:
        raise ConfigError(f"{env_id}: {exc}") from exc
    return target


def print_table(table: pd.DataFrame) -> None:
    """Print a DataFrame without truncation."""
    with pd.option_context(
        "display.max_rows", None, "display.max_columns", None, "display.width", 200
    ):
        print(table.to_string())


# Commands.


def cmd_list(args: argparse.Namespace) -> int:
    """Print every environment id (domain, spaces) and every agent (kind, description)."""
    from fieldgym.agents import AGENTS
    from fieldgym.envs import ENVS, PARALLEL_ENVS

    print("Environments")
    for env_id, entry in {**ENVS, **PARALLEL_ENVS}.items():
        print(f"  {env_id}  [domain: {entry.domain or '-'}, max steps: {entry.max_episode_steps}]")
        if env_id in ENVS:
            env = gym.make(env_id)
            print(f"      observation: {env.observation_space}")
            print(f"      action:      {env.action_space}")
            if args.fields:
                for line in type(env.unwrapped.config).describe().splitlines():
                    print(f"      {line}")
            env.close()
    print("\nAgents")
    width = max(len(name) for name in AGENTS)
    for name, entry in AGENTS.items():
        domains = ", ".join(entry.domains) or "all domains"
        print(f"  {name:<{width}}  {entry.kind:<8}  {domains:<12}  {entry.description}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train a learner and save it (with a model card and its learning curve) in ``--out``."""
    from fieldgym.agents import make_agent
    from fieldgym.agents.training import Budget
    from fieldgym.scenarios.run.runner import MODEL_CARD
    from fieldgym.scenarios.run.store import write_json_atomic

    out = writable_folder(args.out, "--out")
    target = make_target(args.env_id, args.preset, args.set)
    params = parse_pairs(args.param, "--param")
    policy = make_agent(args.agent, target, **params)
    if not policy.learns:
        raise ConfigError(
            f"Agent {args.agent!r} does not learn; evaluate it with "
            f"`fieldgym backtest {args.env_id} --agent {args.agent}`."
        )
    if args.steps is None and args.seconds is None:
        raise ConfigError("Give --steps N, --seconds S or both: how long to train.")
    budget = Budget(steps=args.steps, seconds=args.seconds)
    start = time.perf_counter()
    policy.fit(budget, seed=args.seed, log_dir=out / "tensorboard", progress=not args.quiet)
    seconds = time.perf_counter() - start
    policy.save(out)
    card = {
        "agent": args.agent,
        "params": params,
        "env_id": target.id,
        "env_kwargs": target.kwargs,
        "train_steps": args.steps,
        "train_seconds": args.seconds,
        "seed": args.seed,
        "seconds": seconds,
    }
    write_json_atomic(out / MODEL_CARD, card)
    pd.DataFrame(policy.learning_curve, columns=["step", "seconds", "episode_return"]).to_csv(
        out / "learning_curve.csv", index=False
    )
    print(
        f"Trained {args.agent} on {target.id} within {budget.describe()} in {seconds:.1f} s; "
        f"saved to {out}."
    )
    print(f"Evaluate it with: fieldgym backtest --model {out}")
    return 0


def load_model(
    folder: str | Path,
    env_id: str | None,
    preset: str | None,
    sets: Sequence[str],
    trust_pickle: bool = False,
) -> Any:
    """A policy saved by ``fieldgym train`` or a run, on its env (or ``env_id``) with overrides.

    Nothing is unpickled unless ``trust_pickle`` (``--trust-pickle``).
    """
    from fieldgym.agents.registry import AGENTS
    from fieldgym.scenarios.run.runner import MODEL_CARD
    from fieldgym.scenarios.run.store import read_json

    card_path = Path(folder) / MODEL_CARD
    if not card_path.is_file():
        raise DataError(f"{folder} holds no model saved by fieldgym ({MODEL_CARD} is missing).")
    card = read_json(card_path)
    if card["agent"] not in AGENTS:
        raise DataError(f"{card_path}: agent {card['agent']!r} is not registered in this fieldgym.")
    same_env = env_id in (None, card["env_id"])
    target = make_target(
        env_id or card["env_id"], preset, sets, base=card["env_kwargs"] if same_env else None
    )
    from gymnasium.envs.registration import load_env_creator

    cls = load_env_creator(AGENTS[card["agent"]].factory)
    return cls.load(folder, target, trust_pickle=trust_pickle)


def cmd_backtest(args: argparse.Namespace) -> int:
    """Evaluate a baseline or a saved model and print the mean of each metric with its 95% CI."""
    from fieldgym.agents import evaluate, make_agent
    from fieldgym.scenarios.stats.intervals import t_interval

    if args.model and args.agent:
        raise ConfigError(
            "Give either --agent NAME (a baseline) or --model DIR (a saved learner), not both."
        )
    seeds = parse_seeds(args.seeds)
    csv = writable_file(args.csv, "--csv") if args.csv else None
    if args.model:
        policy = load_model(args.model, args.env_id, args.preset, args.set, args.trust_pickle)
    else:
        if not args.agent or not args.env_id:
            raise ConfigError("backtest needs ENV_ID --agent NAME, or --model DIR.")
        policy = make_agent(
            args.agent,
            make_target(args.env_id, args.preset, args.set),
            **parse_pairs(args.param, "--param"),
        )
        if policy.learns:
            raise ConfigError(
                f"{args.agent!r} is a learner: train it with `fieldgym train` and pass --model DIR."
            )
    table = cast(pd.DataFrame, evaluate(policy, seeds, max_steps=args.max_steps))
    rows = []
    for column in table.columns:
        if column in ("agent", "env_id", "seed") or not pd.api.types.is_numeric_dtype(
            table[column]
        ):
            continue
        mean, low, high, n = t_interval(table[column])
        rows.append({"metric": column, "mean": mean, "ci_low": low, "ci_high": high, "n": n})
    label = args.model or args.agent
    print(
        f"{label} on {policy.target.id} over {len(seeds)} episodes (seeds {seeds[0]}..{seeds[-1]}):"
    )
    print_table(pd.DataFrame(rows).set_index("metric"))
    if csv is not None:
        table.to_csv(csv, index=False)
        print(f"Per-episode table written to {csv}.")
    return 0


def resolve_scenario(name: str) -> Path:
    """A scenario path, or the packaged scenario of that name (``quickstart``)."""
    path = Path(name)
    if path.is_file():
        return path
    packaged = PACKAGED / (path.name if path.suffix else f"{path.name}.yaml")
    if packaged.is_file():
        return packaged
    raise ConfigError(
        f"{name}: no such scenario file; packaged scenarios: "
        f"{', '.join(p.stem for p in sorted(PACKAGED.glob('*.yaml')))}."
    )


def cmd_compare(args: argparse.Namespace) -> int:
    """Run the scenario's unfinished trials, then write its report."""
    from fieldgym.scenarios.plan.planner import load_scenario
    from fieldgym.scenarios.report.page import default_out, write_report
    from fieldgym.scenarios.run.runner import TrialsFailed, run_plan
    from fieldgym.scenarios.run.store import default_run_dir

    plan = load_scenario(resolve_scenario(args.scenario))
    if args.workers is not None and args.backend == "local":
        plan = dataclasses.replace(plan, workers=args.workers)
    run_dir = writable_folder(args.runs or default_run_dir(plan), "--runs")
    out = writable_folder(args.out or default_out(plan), "--out")
    start = time.perf_counter()
    try:
        summary = run_plan(
            plan,
            run_dir,
            workers=args.workers,
            fresh=args.fresh,
            progress=not args.quiet,
            backend=args.backend,
            address=args.address,
        )
    except TrialsFailed:
        index = write_report(run_dir, out, tensorboard=args.tensorboard)
        print(f"Partial report (some trials failed): {index}", file=sys.stderr)
        raise
    index = write_report(run_dir, out, tensorboard=args.tensorboard)
    print(
        f"{plan.name}: ran {len(summary.ran)} trial(s), reused {summary.skipped}; "
        f"{time.perf_counter() - start:.1f} s in total. Report: {index}"
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report of a run folder."""
    from fieldgym.scenarios.report.page import write_report

    out = writable_folder(args.out, "--out") if args.out else None
    index = write_report(args.run_dir, out, tensorboard=args.tensorboard)
    print(f"Report: {index}")
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    """Run a study's missing trials, print and write its summary, optionally write the best."""
    import shlex

    import optuna

    from fieldgym.scenarios import tune

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the bar and summary report
    write_to = writable_folder(args.write_to, "--write-to") if args.write_to else None
    spec = tune.prepare(
        args.target,
        args.agent,
        args.trials,
        args.seconds,
        preset=args.preset,
        sets=args.set,
        env_label=args.env_label,
        storage=args.storage,
        study=args.study,
        validation_seeds=parse_seeds(args.validation_seeds, "--validation-seeds"),
        checkpoints=args.checkpoints,
        max_steps=args.max_steps,
        seed=args.seed,
        validation_dates=args.validation_dates,
        train_seeds=args.train_seeds,
    )
    study = tune.run(
        spec, args.workers, backend=args.backend, address=args.address, progress=not args.quiet
    )
    command = shlex.join(["fieldgym", *args.argv])
    print(tune.summarize(study, spec, command))
    print(f"Summary: {spec.out / 'summary.md'}")
    if args.write or write_to:
        path = tune.write_best(study, spec, command, write_to)
        print(f"Best trial written to {path} under {spec.key!r}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
