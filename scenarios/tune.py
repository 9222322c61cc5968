"""``fieldgym tune``: search a learner's hyperparameters with Optuna, on validation seeds.

A study trains one learner on one environment many times, each trial with
hyperparameters drawn by Optuna's TPE sampler from the learner's search space
(:mod:`fieldgym.scenarios.search_spaces`) for the same budget of CPU seconds. A new
study's first trial is the learner's untuned defaults, the configuration to beat.
A trial's value is the domain's headline metric on *validation* seeds at the end of its
budget; the checkpoint evaluations on the way feed a median pruner, which stops trials
that fall behind. Training seeds are the trial numbers (plus ``--seed``); validation
seeds (default 50000..50004) are disjoint from them and from the evaluation seeds
reports use (a scenario's are checked), so choosing hyperparameters never looks at the
numbers a report shows.

With ``--train-seeds K`` a trial trains its configuration K times, on K training seeds,
and its value is the mean of their last checkpoints: a configuration that learns on one
seed and diverges on the next scores as it would in a report over several training seeds,
instead of winning on a lucky seed. The pruner watches the first seed's checkpoints; the
other seeds train only for trials it lets through, so K multiplies the cost of complete
trials only.

A study lives in Optuna storage: by default the journal file
``runs/tune/<study>.journal``, which several processes on one machine share and from
which a killed tune resumes (``--trials N`` is the total of finished trials wanted, so a
rerun runs only the missing ones); an RDB URL (``sqlite:///tune.db``,
``postgresql://...``) serves several machines (``--backend ray``). The end of a tune
writes ``runs/tune/<study>/summary.md`` and ``history.png``; :func:`write_best` puts the
best trial into ``hyperparams/<agent>.yml`` in rl-zoo3's format.

On dated market data (the stock and portfolio ids) seeds do not separate validation from
test: a trial's learner (agent ``drl``, :mod:`fieldgym.agents.trading.learner`) trains on
the dates before a *validation date range* and is scored on one backtest of that range,
which must end before the dates a report tests on. A scenario's backtest gives the default
range: as long as its test range and just before it; an environment id needs
``--validation-dates``.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import inspect
import json
import math
import re
import threading
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import yaml
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState
from tqdm.auto import tqdm

from fieldgym.agents import EnvTarget, hyperparams, make_agent
from fieldgym.agents.evaluation import declared_metrics, evaluate
from fieldgym.agents.target import is_parallel
from fieldgym.agents.training import Budget
from fieldgym.envs.core.errors import ConfigError, FieldgymError
from fieldgym.scenarios.run import store
from fieldgym.scenarios.search_spaces import SPACES, default_point

TUNE_DIR = Path("runs") / "tune"
"""Where studies (journal files) and their summaries go, relative to the working folder."""

VALIDATION_SEEDS = tuple(range(50_000, 50_005))
"""Default validation seeds: above every scenario's evaluation seeds (10000 + k)."""

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
"""The trial states ``--trials`` counts."""


@dataclasses.dataclass(frozen=True)
class TuneSpec:
    """One study: what to tune where, and how each trial is scored (picklable for workers)."""

    agent: str
    env_id: str
    env_kwargs: dict[str, Any]
    key: str
    """The hyperparameter file key of the environment (its id, with its preset)."""
    headline: str
    lower_is_better: bool
    validation_seeds: tuple[int, ...]
    max_steps: int | None
    """Length of the validation episodes (``None``: the registered limit)."""
    seconds: float
    """CPU seconds of training per trial (checkpoint evaluations excluded)."""
    checkpoints: int
    trials: int
    """Finished (complete or pruned) trials wanted in the study."""
    seed: int
    study: str
    storage: str
    """An RDB URL, or the path of a journal file."""
    rows: int = 1
    """Training rows per copy: the agents of a multi-agent env, else 1."""
    validation_dates: tuple[str, str] | None = None
    """Dated market data: the backtest range that scores a trial (``env_kwargs`` hold it);
    the learner trains on the dates before it."""
    pruner: Any = None
    """An Optuna pruner; ``None`` for the median pruner."""
    train_seeds: int = 1
    """Training runs per trial (seeds :meth:`training_seed`); the value is their mean."""

    def training_seed(self, trial: int, run: int) -> int:
        """The seed of a trial's ``run``-th training (``seed + trial`` with one run)."""
        return self.seed + trial * self.train_seeds + run

    def setup(self) -> dict[str, Any]:
        """What every run of the same study must share (stored with the study)."""
        setup = {
            "agent": self.agent,
            "env_id": self.env_id,
            "env_kwargs": self.env_kwargs,
            "objective": self.headline,
            "direction": self.direction,
            "validation_seeds": list(self.validation_seeds),
            "max_steps": self.max_steps,
            "seconds": self.seconds,
            "checkpoints": self.checkpoints,
            "validation_dates": self.validation_dates,
        }
        if self.train_seeds > 1:  # absent with one, so studies from before it resume
            setup["train_seeds"] = self.train_seeds
        return json.loads(json.dumps(setup, default=str))

    @property
    def direction(self) -> str:
        """Optuna's study direction for the headline metric."""
        return "minimize" if self.lower_is_better else "maximize"

    @property
    def out(self) -> Path:
        """The folder of the study's summary."""
        return TUNE_DIR / slug(self.study)


def slug(name: str) -> str:
    """``name`` as a file name (a study name holds the env id's ``/`` and brackets).

    Never ``.``, ``..`` or hidden: a study's files stay inside ``runs/tune/``.

    Raises:
        ConfigError: If nothing of ``name`` is left to name a file with.
    """
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.")
    if not text:
        raise ConfigError(f"Study name {name!r} names no file; use letters or digits.")
    return text


def prepare(
    target: str,
    agent: str,
    trials: int,
    seconds: float,
    *,
    preset: str | None = None,
    sets: Sequence[str] = (),
    env_label: str | None = None,
    storage: str | None = None,
    study: str | None = None,
    validation_seeds: Sequence[int] = VALIDATION_SEEDS,
    checkpoints: int = 4,
    max_steps: int | None = None,
    seed: int = 0,
    pruner: Any = None,
    validation_dates: str | None = None,
    train_seeds: int = 1,
) -> TuneSpec:
    """Check a tune's arguments and resolve them into a :class:`TuneSpec`.

    Args:
        target: An environment id, or a scenario file (or packaged scenario name) whose
            environment (``env_label`` among several) and headline metric are tuned for.
        agent: A learner with a search space in :data:`SPACES`.
        trials: Finished trials wanted in the study.
        seconds: CPU seconds of training per trial.
        preset: The environment's preset (over a scenario's).
        sets: ``FIELD=VALUE`` config fields (over a scenario's).
        env_label: Which environment of a scenario with several.
        storage: An RDB URL or a journal file path; default ``runs/tune/<study>.journal``.
        study: The study name; default ``<agent>__<env key>``. The env key (also the
            key a written entry gets) is the id with every config field the env is made
            with, preset and ``sets`` included, e.g. ``...-v1[action_type=base_stock]``:
            an entry tuned for one config is not applied to another.
        validation_seeds: Seeds of the episodes that score a trial.
        checkpoints: Evaluations per trial (the pruner sees each; the last is the value).
        max_steps: Length of validation episodes (default: the scenario's, else the
            registered limit).
        seed: Added to the trial number to give each trial's training seed (with
            ``train_seeds`` K, trial n trains on ``seed + n*K`` .. ``seed + n*K + K-1``).
        pruner: An Optuna pruner instead of the median pruner.
        validation_dates: ``START:END``, the validation backtest of dated market data
            (default: a scenario's test range shifted to just before itself).
        train_seeds: Training runs per trial, each on its own seed; the trial's value is
            the mean of their scores.

    Raises:
        ConfigError: On an unknown target or agent, an agent that does not learn or has
            no search space, bad numbers, validation seeds that are also evaluation or
            training seeds, validation dates missing, malformed or reaching into the test
            dates, or a storage URL that does not open.
    """
    from fieldgym.scenarios import cli

    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ConfigError(f"--trials {trials} is not allowed; give 1 or more trials.")
    if not (isinstance(seconds, int | float) and seconds > 0 and math.isfinite(seconds)):
        raise ConfigError(f"--seconds {seconds} is not allowed; give a positive number.")
    if checkpoints < 1:
        raise ConfigError(f"--checkpoints {checkpoints} is not allowed; give 1 or more.")
    if isinstance(train_seeds, bool) or not isinstance(train_seeds, int) or train_seeds < 1:
        raise ConfigError(f"--train-seeds {train_seeds} is not allowed; give 1 or more.")
    seeds = tuple(int(s) for s in validation_seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ConfigError(f"validation seeds must be distinct and at least one: {list(seeds)}.")

    plan_env = None
    if _is_scenario(target):
        env, plan_env, plan = _scenario_env(cli.resolve_scenario(target), env_label, preset, sets)
        headline, lower_is_better = plan_env.headline, plan_env.lower_is_better
        evaluation_seeds = set(plan.eval_seeds)
        where = f"{plan.source}'s evaluation seeds {min(plan.eval_seeds)}..{max(plan.eval_seeds)}"
        max_steps = max_steps if max_steps is not None else plan.max_steps
    else:
        if env_label is not None:
            raise ConfigError(f"--env {env_label} picks an environment of a scenario file only.")
        env = cli.make_target(target, preset, sets, multi_agent=True)
        declared = declared_metrics(env.id)
        headline, lower_is_better = declared.headline, declared.headline_lower_is_better
        evaluation_seeds = set(cli.parse_seeds([cli.DEFAULT_EVAL_SEEDS]))
        where = f"`fieldgym backtest`'s default evaluation seeds {cli.DEFAULT_EVAL_SEEDS}"
    if set(seeds) & evaluation_seeds:
        raise ConfigError(
            f"validation seeds {sorted(set(seeds) & evaluation_seeds)} are also {where}; "
            f"tune on other seeds (default --validation-seeds 50000:50005)."
        )
    training = set(range(seed, seed + trials * train_seeds))
    if set(seeds) & training:
        raise ConfigError(
            f"validation seeds {sorted(set(seeds) & training)} are also training seeds "
            f"(--seed {seed} + trial number × --train-seeds); move --seed or the validation seeds."
        )
    parallel = is_parallel(env.id)
    if parallel and max_steps is not None:
        raise ConfigError("--max-steps does not apply to multi-agent ids (their episodes run out).")
    dates = _validation_range(env, validation_dates, tested=plan_env is not None)
    if dates is not None:  # one deterministic backtest of the range, to its last date
        ranged = {"mode": "backtest", "start": dates[0], "end": dates[1]}
        env = EnvTarget(env.id, {**env.kwargs, **ranged})
        seeds = seeds[:1]
        max_steps = max_steps if max_steps is not None else BACKTEST_STEPS
    elif validation_dates is not None:
        raise ConfigError(f"--validation-dates applies to dated market data, not to {env.id}.")

    policy = make_agent(agent, env, tuned=False)  # unknown agent, wrong domain or kind
    if not policy.learns:
        raise ConfigError(f"Agent {agent!r} does not learn: there is nothing to tune.")
    if agent not in SPACES:
        raise ConfigError(
            f"fieldgym tune has no search space for {agent!r}; it tunes {', '.join(SPACES)}."
        )
    rows = 1
    if parallel:
        probe = env.make()
        rows = len(probe.possible_agents)
        probe.close()
    # The entry applies where the env is made as it was tuned: its preset and every other
    # config field, but not the validation range (a test range differs from it by design).
    dated = ("mode", "start", "end") if dates is not None else ()
    key = hyperparams.variant_key(
        env.id, {k: v for k, v in env.kwargs.items() if k not in dated} or None
    )
    name = study or f"{agent}__{key}"
    storage = storage or str(TUNE_DIR / f"{slug(name)}.journal")
    spec = TuneSpec(
        agent=agent,
        env_id=env.id,
        env_kwargs=dict(env.kwargs),
        key=key,
        headline=headline,
        lower_is_better=lower_is_better,
        validation_seeds=seeds,
        max_steps=max_steps,
        seconds=float(seconds),
        checkpoints=checkpoints,
        trials=trials,
        seed=seed,
        study=name,
        storage=_absolute(storage),
        rows=rows,
        pruner=pruner,
        validation_dates=dates,
        train_seeds=train_seeds,
    )
    open_study(spec)  # a bad URL or a clashing study fails now, before any worker starts
    return spec


def sampler_seed(spec: TuneSpec, worker: int, done: int) -> int:
    """A worker's TPE seed, from the tune seed, study name, worker index and trials done.

    The name matters: TPE draws its first trials at random, and with one seed for every
    study, studies of different envs or learners would all try the same random points.
    """
    name = zlib.crc32(spec.study.encode())
    return int(np.random.SeedSequence([spec.seed, name, worker, done]).generate_state(1)[0])


def _is_scenario(target: str) -> bool:
    from fieldgym.scenarios.cli import PACKAGED

    path = Path(target)
    return (
        path.suffix in (".yaml", ".yml")
        or path.is_file()
        or (PACKAGED / f"{target}.yaml").is_file()
    )


def _scenario_env(
    path: Path, label: str | None, preset: str | None, sets: Sequence[str]
) -> tuple[Any, Any, Any]:
    """The target, plan environment and plan of the scenario's environment ``label``."""
    from fieldgym.scenarios.cli import make_target
    from fieldgym.scenarios.plan.planner import load_scenario

    plan = load_scenario(path)
    labels = [e.label for e in plan.envs]
    if label is None and len(labels) > 1:
        raise ConfigError(
            f"{path} has several environments; pick one with --env: {', '.join(labels)}."
        )
    chosen = (
        plan.envs[0] if label is None else next((e for e in plan.envs if e.label == label), None)
    )
    if chosen is None:
        raise ConfigError(
            f"{path}: no environment labelled {label!r}; labels: {', '.join(labels)}."
        )
    if chosen.window is not None:
        raise ConfigError(
            f"{path}: {chosen.label} is a walk-forward window, which picks its own "
            "hyperparameters on its validation range (scenarios/plan/walk_forward.py); tune on "
            "a scenario with one backtest range, or on the id with --validation-dates."
        )
    target = make_target(chosen.id, preset, sets, base=dict(chosen.kwargs), multi_agent=True)
    return target, chosen, plan


BACKTEST_STEPS = 1_000_000
"""Validation length of a dated backtest: long enough to reach the range's last date."""


def _validation_range(env: EnvTarget, given: str | None, tested: bool) -> tuple[str, str] | None:
    """The validation backtest range of dated market data; ``None`` for other targets.

    ``env`` is the target as the scenario (``tested``) or the command line gave it. A
    scenario's backtest range ``[S, E]`` is the test range: the default validation range
    is as long and ends the day before ``S``; a given one must end before ``S``.

    Raises:
        ConfigError: If the range is missing, malformed or reaches into the test range.
    """
    import pandas as pd

    from fieldgym.envs.trading.dated import DatedConfig

    if not isinstance(env.config, DatedConfig):
        return None
    config = env.config
    test_start = pd.Timestamp(config.start) if tested and config.start is not None else None
    if given is None:
        if test_start is None or config.end is None or config.mode != "backtest":
            raise ConfigError(
                f"{env.id} replays dated prices, where seeds do not keep validation apart from "
                "test: give --validation-dates START:END, a range before the dates you test "
                "on (the learner trains on the dates before START), e.g. --validation-dates "
                "2015-01-02:2018-12-31 to test from 2019."
            )
        length = pd.Timestamp(config.end) - test_start
        end = test_start - pd.Timedelta(days=1)
        return (str((end - length).date()), str(end.date()))
    try:
        first, last = (pd.Timestamp(part) for part in given.split(":"))
    except ValueError as exc:
        raise ConfigError(
            f"--validation-dates {given!r} is not START:END in ISO dates, e.g. "
            "2015-01-02:2018-12-31."
        ) from exc
    if first >= last:
        raise ConfigError(f"--validation-dates {given!r}: START must come before END.")
    if test_start is not None and last >= test_start:
        raise ConfigError(
            f"--validation-dates {given!r} reaches into the scenario's test range, which "
            f"starts {test_start.date()}; end the validation range before it."
        )
    return (str(first.date()), str(last.date()))


def _absolute(storage: str) -> str:
    """A journal path or SQLite URL made absolute, so workers started elsewhere share it."""
    prefix = "sqlite:///"
    if "://" not in storage:
        return str(Path(storage).resolve())
    if storage.startswith(prefix) and not storage.startswith(prefix + "/"):
        return prefix + str(Path(storage[len(prefix) :]).resolve())
    return storage


def open_storage(storage: str) -> optuna.storages.BaseStorage:
    """Optuna storage: an RDB URL (``sqlite:///...``, ``postgresql://...``) or a journal file.

    Raises:
        ConfigError: If the journal file cannot be written or the database URL does not open.
    """
    if "://" not in storage:
        path = Path(storage)
        if path.is_dir():
            raise ConfigError(f"--storage {storage!r} is a folder; give a journal file name.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(str(path)))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if isinstance(exc, FileExistsError | NotADirectoryError):
                reason = "a part of its folder is a file"
            raise ConfigError(
                f"--storage {storage!r}: the journal file cannot be written ({reason}); "
                "give a file in a folder you can write to."
            ) from exc
    try:
        return optuna.storages.RDBStorage(storage)
    except Exception as exc:  # SQLAlchemy names the problem: driver, host, file
        raise ConfigError(
            f"--storage {storage!r} does not open ({type(exc).__name__}: {exc}). Give a "
            "journal file path, or a database URL such as sqlite:///tune.db."
        ) from exc


def open_study(spec: TuneSpec) -> optuna.Study:
    """Create the study, or load it if it exists (refusing one set up differently).

    Raises:
        ConfigError: If a study of that name was tuned with another setup.
    """
    study = optuna.create_study(
        study_name=spec.study,
        storage=open_storage(spec.storage),
        direction=spec.direction,
        load_if_exists=True,
    )
    stored = study.user_attrs.get("fieldgym")
    setup = spec.setup()
    if stored is None:
        study.set_user_attr("fieldgym", setup)
    elif stored != setup:
        changed = ", ".join(
            f"{k}: {stored.get(k)!r} -> {v!r}" for k, v in setup.items() if stored.get(k) != v
        )
        raise ConfigError(
            f"Study {spec.study!r} in {spec.storage} was tuned with another setup ({changed}); "
            "give another --study name, or the same settings to resume it."
        )
    return study


def finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The study's complete and pruned trials."""
    return study.get_trials(deepcopy=False, states=FINISHED)


# Running trials.


def validation_score(policy: Any, spec: TuneSpec) -> float:
    """The mean headline metric of ``policy`` over the validation seeds."""
    table = evaluate(policy, spec.validation_seeds, max_steps=spec.max_steps)
    return float(table[spec.headline].mean())


def trial_agent(spec: TuneSpec, params: dict[str, Any]) -> Any:
    """The untuned learner of a trial with the sampled ``params``.

    On dated market data it is ``drl`` with ``algo=spec.agent``: it trains on the dates
    before the validation range it is evaluated on.
    """
    from fieldgym.agents.target import make_target

    target = make_target(spec.env_id, spec.env_kwargs)
    if spec.validation_dates is not None:
        return make_agent("drl", target, tuned=False, algo=spec.agent, **params)
    return make_agent(spec.agent, target, tuned=False, **params)


def objective(trial: optuna.Trial, spec: TuneSpec) -> float:
    """Train one sampled configuration for the budget and return its last checkpoint.

    With several training seeds, each trains a fresh learner for the full budget and the
    value is the mean of their last checkpoints (each seed's is kept as the user attribute
    ``seed_values``). Raises ``optuna.TrialPruned`` when the pruner stops the first seed
    before its last checkpoint. A configuration whose training diverges on any seed (NaN
    in the networks, which torch reports as a ``ValueError``) returns NaN, which Optuna
    records as a failed trial.
    """
    params = SPACES[spec.agent](trial, spec.rows)
    pruned: list[int] = []

    def on_checkpoint(point: Any) -> bool:
        trial.report(point.value, point.index)
        if point.index < spec.checkpoints - 1 and trial.should_prune():
            pruned.append(point.index)
            return False
        return True

    values, steps = [], []
    for run in range(spec.train_seeds):
        policy = trial_agent(spec, params)
        budget = Budget(
            seconds=spec.seconds,
            checkpoints=spec.checkpoints,
            evaluate=functools.partial(validation_score, spec=spec),
            on_checkpoint=on_checkpoint if run == 0 else None,
            cpu_time=True,
        )
        try:
            policy.fit(budget, seed=spec.training_seed(trial.number, run))
        except FieldgymError:
            raise
        except (ValueError, AssertionError, FloatingPointError) as exc:
            trial.set_user_attr("error", f"seed {run}: {type(exc).__name__}: {exc}"[:300])
            return math.nan
        last = [row for row in policy.learning_curve if "eval" in row][-1]
        values.append(float(last["eval"]))
        steps.append(int(last["step"]))
        if pruned:
            trial.set_user_attr("steps", steps[0])
            raise optuna.TrialPruned(f"pruned at checkpoint {pruned[0] + 1} of {spec.checkpoints}")
    trial.set_user_attr("steps", round(sum(steps) / len(steps)))
    if spec.train_seeds > 1:
        trial.set_user_attr("seed_values", values)
    return sum(values) / len(values)


def _stop_when_done(spec: TuneSpec, study: optuna.Study, _trial: Any) -> None:
    """Stop a worker once the study has its trials (other processes may share the study)."""
    if len(finished(study)) >= spec.trials:
        study.stop()


def work(job: tuple[TuneSpec, int, int], run_dir: str = "") -> dict[str, Any]:
    """One worker: run up to ``quota`` trials, stopping early once the study has its trials.

    ``job`` is ``(spec, index, quota)``; :func:`sampler_seed` seeds its sampler, so
    parallel and resumed workers, and other studies, draw different startup trials.
    Has the signature of :mod:`fieldgym.scenarios.run.backends`' work functions; ``run_dir``
    is unused (trials leave nothing but the storage's records).
    """
    import torch

    spec, index, quota = job
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # The first fit in a process trains at about half speed (the first calls of torch and
    # numba load and compile code), which would handicap the worker's first trial; a
    # throwaway fit of one step pays that here instead.
    trial_agent(spec, {}).fit(1)
    study = open_study(spec)
    study.sampler = optuna.samplers.TPESampler(seed=sampler_seed(spec, index, len(study.trials)))
    study.pruner = spec.pruner or optuna.pruners.MedianPruner(
        n_startup_trials=5, n_warmup_steps=spec.checkpoints // 3
    )
    study.optimize(
        functools.partial(objective, spec=spec),
        n_trials=quota,
        callbacks=[functools.partial(_stop_when_done, spec)],
        gc_after_trial=True,
    )
    return {"worker": index}


def run(
    spec: TuneSpec,
    workers: int = 1,
    backend: str = "local",
    address: str | None = None,
    progress: bool = True,
) -> optuna.Study:
    """Run the study's missing trials, split among ``workers``; returns the study.

    One worker runs in this process; more run as spawned processes (``local``) or Ray
    tasks (``ray``), each on one core, sharing the study through its storage. A trial
    that fails (diverged training) leaves the study one short; a rerun runs it again.

    Raises:
        ConfigError: On ``workers`` < 1, or a Ray cluster address with a file storage.
    """
    if workers < 1:
        raise ConfigError(f"--workers {workers} is not allowed; give 1 or more.")
    if backend == "ray" and address is not None and _is_file_storage(spec.storage):
        raise ConfigError(
            f"--storage {spec.storage} is a file on this machine, which the nodes of the Ray "
            f"cluster at {address} cannot share; give a database URL (postgresql://..., "
            "mysql://...) that every node reaches, or omit --address for a local Ray instance."
        )
    study = open_study(spec)
    if not study.trials:  # a new study starts from the defaults, the point to beat
        study.enqueue_trial(default_point(spec.agent, spec.rows), user_attrs={"defaults": True})
    missing = spec.trials - len(finished(study))
    if missing <= 0:
        return study
    jobs = [(spec, k, len(range(k, missing, workers))) for k in range(min(workers, missing))]
    with _Progress(spec, show=progress):
        if backend == "local" and len(jobs) == 1:
            work(jobs[0])
        else:
            from fieldgym.scenarios.run import backends
            from fieldgym.scenarios.run.runner import _init_worker  # one thread, dies with us

            spec.out.mkdir(parents=True, exist_ok=True)
            jobs_run = backends.execute(
                backend, jobs, spec.out, work, len(jobs), address, init=_init_worker
            )
            for _, outcome in jobs_run:
                if isinstance(outcome, BaseException):
                    raise outcome
    return open_study(spec)


def _is_file_storage(storage: str) -> bool:
    return "://" not in storage or storage.startswith("sqlite:")


class _Progress:
    """A bar over the study's finished trials with the best value, read from the storage.

    It polls the storage from a thread, so it sees the trials of every worker alike.
    """

    def __init__(self, spec: TuneSpec, show: bool) -> None:
        self.spec = spec
        self.study = optuna.load_study(study_name=spec.study, storage=open_storage(spec.storage))
        self.bar = tqdm(
            total=spec.trials, desc=f"tune {spec.agent}", unit="trial", disable=not show
        )
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self._poll, name="fieldgym-tune-progress", daemon=True
        )

    def __enter__(self) -> _Progress:
        self._update()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self._update()
        self.bar.close()

    def _poll(self) -> None:
        while not self.stop.wait(1.0):
            self._update()

    def _update(self) -> None:
        trials = finished(self.study)
        values = [t.value for t in trials if t.state == TrialState.COMPLETE]
        self.bar.total = max(self.spec.trials, len(trials))  # other processes may add some
        self.bar.update(len(trials) - self.bar.n)
        if values:
            best = min(values) if self.spec.lower_is_better else max(values)
            self.bar.set_postfix_str(f"best {self.spec.headline} {best:.4g}")


# Results.


def best_params(study: optuna.Study, spec: TuneSpec) -> dict[str, Any]:
    """The agent keyword arguments of the best trial (its sampled values, replayed).

    Raises:
        ConfigError: If no trial completed.
    """
    try:
        best = study.best_trial
    except ValueError as exc:
        raise ConfigError(f"Study {spec.study!r} has no complete trial yet.") from exc
    return SPACES[spec.agent](optuna.trial.FixedTrial(best.params), spec.rows)


def best_entry(study: optuna.Study, spec: TuneSpec) -> dict[str, Any]:
    """The best trial as a hyperparameter file entry (rl-zoo3's keys).

    ``n_envs``, ``n_timesteps`` (the steps the best trial trained), ``policy`` and
    ``normalize`` where the learner has them, then every keyword argument of the
    algorithm, defaults included, so rl-zoo3 trains the same configuration.
    """
    params = best_params(study, spec)
    policy = trial_agent(spec, params)
    accepted = inspect.signature(type(policy)).parameters
    entry: dict[str, Any] = {
        "n_envs": params.get("n_envs", params.get("n_copies")),
        "n_timesteps": int(study.best_trial.user_attrs["steps"]),
    }
    entry.update(
        {name: getattr(policy, name) for name in ("policy", "normalize") if name in accepted}
    )
    entry.update(getattr(policy, "hyperparams", params["hyperparams"]))
    return entry


def provenance(study: optuna.Study, spec: TuneSpec, command: str) -> str:
    """The comment above a written entry: how it was found."""
    trials = finished(study)
    pruned = sum(t.state == TrialState.PRUNED for t in trials)
    lines = [
        f"fieldgym tune: {len(trials)} trials ({pruned} pruned) × {spec.seconds:g} s CPU each, "
        f"objective {spec.headline} ({spec.direction}) on {scored_on(spec)}, "
        f"best {study.best_value:.6g} (trial "
        f"{study.best_trial.number}){_defaults_note(study)}, {dt.date.today().isoformat()}",
    ]
    lines.append(command)
    return "\n".join(lines)


def scored_on(spec: TuneSpec) -> str:
    """What a trial's value is measured on, in words."""
    if spec.validation_dates is not None:
        first, last = spec.validation_dates
        where = f"the validation backtest {first}..{last} (trained on the dates before)"
    else:
        seeds = spec.validation_seeds
        where = f"validation seeds {min(seeds)}..{max(seeds)} ({len(seeds)} episodes)"
    if spec.train_seeds > 1:
        return f"{where}, mean of {spec.train_seeds} training seeds"
    return where


def defaults_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The trial that ran the learner's defaults (``None`` in studies from before them)."""
    return next((t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("defaults")), None)


def _seed_values(trial: optuna.trial.FrozenTrial) -> str:
    values = trial.user_attrs.get("seed_values")
    if not values:
        return ""
    return f" (per training seed: {', '.join(f'{v:.6g}' for v in values)})"


def _defaults_note(study: optuna.Study) -> str:
    trial = defaults_trial(study)
    if trial is None:
        return ""
    if trial.state != TrialState.COMPLETE:
        return f"; the defaults (trial {trial.number}) were {trial.state.name.lower()}"
    return f"; the defaults (trial {trial.number}) scored {trial.value:.6g}"


def write_best(
    study: optuna.Study, spec: TuneSpec, command: str, folder: Path | None = None
) -> Path:
    """Write the best trial into ``<folder>/<agent>.yml`` (default: the shipped files)."""
    return hyperparams.write_entry(
        spec.agent, spec.key, best_entry(study, spec), provenance(study, spec, command), folder
    )


def summarize(study: optuna.Study, spec: TuneSpec, command: str = "") -> str:
    """Write ``summary.md`` and ``history.png`` into :attr:`TuneSpec.out`; returns the text.

    The best trial (value, sampled values, agent parameters), the parameter importances
    (fANOVA, with two complete trials or more) and the optimization history.
    """
    out = spec.out
    out.mkdir(parents=True, exist_ok=True)
    counts = collections.Counter(t.state.name.lower() for t in study.get_trials(deepcopy=False))
    lines = [
        f"# fieldgym tune: {spec.study}",
        "",
        f"- agent `{spec.agent}` on `{spec.env_id}` {json.dumps(spec.env_kwargs, default=str)}",
        f"- objective: {spec.headline} ({spec.direction}) on {scored_on(spec)}",
        f"- budget: {spec.seconds:g} s of CPU time per trial, {spec.checkpoints} checkpoints",
        f"- trials: {', '.join(f'{n} {s}' for s, n in sorted(counts.items()))}",
        f"- storage: {spec.storage}",
        f"- date: {dt.datetime.now().isoformat(timespec='seconds')}",
    ]
    if command:
        lines.append(f"- command: `{command}`")
    if counts["complete"]:
        best = study.best_trial
        params = best_params(study, spec)
        hp = dict(params["hyperparams"])
        if isinstance(hp.get("policy_kwargs"), dict):
            hp["policy_kwargs"] = hyperparams.policy_kwargs_text(hp["policy_kwargs"])
        shown = {**{k: v for k, v in params.items() if k != "hyperparams"}, **hp}
        lines += [
            "",
            f"## Best trial: {best.number}",
            "",
            f"{spec.headline} = {best.value:.6g} after {best.user_attrs.get('steps', 0):,} steps"
            f"{_seed_values(best)}{_defaults_note(study)}",
            "",
            "```yaml",
            yaml.safe_dump(shown, sort_keys=False, width=1000).strip(),
            "```",
        ]
    lines += ["", "## Parameter importances", "", _importances(study, counts["complete"])]
    if _plot_history(study, out / "history.png"):
        lines += ["", "## Optimization history", "", "![history](history.png)"]
    text = "\n".join(lines) + "\n"
    store.write_text_atomic(out / "summary.md", text)
    return text


def _importances(study: optuna.Study, complete: int) -> str:
    if complete < 2:
        return "(needs two complete trials or more)"
    try:
        importances = optuna.importance.get_param_importances(study)
    except Exception as exc:  # fANOVA fails on degenerate histories (one value everywhere)
        return f"(not available: {type(exc).__name__}: {exc})"
    return "\n".join(f"- {name}: {value:.3f}" for name, value in importances.items())


def _plot_history(study: optuna.Study, path: Path) -> bool:
    """Draw Optuna's optimization history; ``False`` when no trial completed."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization.matplotlib import plot_optimization_history

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        axes = plot_optimization_history(study)
    with store.atomic_path(path) as tmp:
        axes.figure.savefig(tmp, dpi=100, bbox_inches="tight")
    plt.close(axes.figure)
    return True
