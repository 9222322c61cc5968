"""Customer demand models: Poisson, truncated normal, seasonal, or a given series."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from fieldgym.envs.core.errors import DataError
from fieldgym.envs.inventory.config import InventoryConfig


class DemandModel:
    """Samples demand for a batch of copies, one column per customer-facing stage.

    Args:
        config: The inventory config (``demand`` and its parameters).
    """

    def __init__(self, config: InventoryConfig) -> None:
        self.kind = config.demand
        self.mean = config.demand_mean
        self.std = config.demand_std
        self.amplitude = config.seasonal_amplitude
        self.period = config.seasonal_period
        self.num_customers = len(config.customer_stages)
        self.series = None
        if self.kind == "series":
            self.series = load_series(config.demand_series, self.num_customers)

    def sample(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """Demand in period ``t`` (shape ``(B,)``) for each copy: an array ``(B, customers)``.

        Normal draws are not truncated here: the dynamics count a negative draw as zero
        demand (:func:`fieldgym.envs.inventory.dynamics.advance`), which saves a pass.
        """
        shape = (t.shape[0], self.num_customers)
        if self.kind == "poisson":
            return rng.poisson(self.mean, size=shape).astype(np.float64)
        if self.kind == "series":
            return self.series[t % self.series.shape[0]]
        mean = self.mean
        if self.kind == "seasonal":
            mean = (
                self.mean
                * (1.0 + self.amplitude * np.sin(2.0 * math.pi * t / self.period))[:, None]
            )
        return rng.normal(mean, self.std, size=shape)

    def long_run_mean(self) -> np.ndarray:
        """Mean demand per period over the long run, one value per customer-facing stage."""
        if self.kind == "series":
            return self.series.mean(axis=0)
        return np.full(self.num_customers, self.mean)

    def expected(self, t: np.ndarray) -> np.ndarray:
        """Mean demand in period ``t`` (before truncation at zero), shape ``(B, customers)``."""
        shape = (t.shape[0], self.num_customers)
        if self.kind == "series":
            return self.series[t % self.series.shape[0]]
        if self.kind == "seasonal":
            wave = 1.0 + self.amplitude * np.sin(2.0 * math.pi * t / self.period)
            return np.broadcast_to((self.mean * wave)[:, None], shape).copy()
        return np.full(shape, self.mean)


def load_series(source: object, num_customers: int) -> np.ndarray:
    """A demand series as an array ``(periods, customers)`` from a list, rows or a CSV path.

    Raises:
        DataError: On a missing file, non-numeric or negative values, or a wrong column count;
            the message names the file, the row and the fix.
    """
    if isinstance(source, str | Path):
        values = _read_csv(Path(source), num_customers)
    else:
        try:
            values = np.asarray(source, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"demand_series must hold numbers: {exc}") from exc
        if values.ndim == 1:
            values = np.repeat(values[:, None], num_customers, axis=1)
        if values.ndim != 2 or values.shape[1] != num_customers:
            raise DataError(
                f"demand_series has shape {values.shape}; give one value per period or one "
                f"column per retailer ({num_customers})."
            )
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            raise DataError(
                f"demand_series row {row} holds {values[row]}; demand must be finite and >= 0."
            )
    if values.shape[0] == 0:
        raise DataError("demand_series is empty; give at least one period of demand.")
    return values


def _read_csv(path: Path, num_customers: int) -> np.ndarray:
    if not path.is_file():
        raise DataError(f"demand CSV {str(path)!r} does not exist; give the path of a CSV file.")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        if "demand" in header:
            columns = ["demand"]
        else:
            columns = [c for c in header if c.lower() not in ("date", "period", "time", "t")]
        if len(columns) not in (1, num_customers):
            raise DataError(
                f"demand CSV {str(path)!r} has columns {header}; it needs a 'demand' column, or "
                f"one column per retailer ({num_customers}), optionally beside a 'date' or "
                "'period' column."
            )
        rows = []
        for line, record in enumerate(reader, start=2):
            row = []
            for column in columns:
                raw = record.get(column)
                try:
                    value = float(raw)
                except (TypeError, ValueError):
                    raise DataError(
                        f"demand CSV {str(path)!r} line {line}, column {column!r}: {raw!r} is not "
                        "a number; fix or remove the row."
                    ) from None
                if not math.isfinite(value) or value < 0:
                    raise DataError(
                        f"demand CSV {str(path)!r} line {line}, column {column!r}: {raw!r}; "
                        "demand must be finite and >= 0."
                    )
                row.append(value)
            rows.append(row)
    values = np.asarray(rows, dtype=np.float64).reshape(-1, len(columns))
    if values.shape[1] == 1:
        values = np.repeat(values, num_customers, axis=1)
    return values
