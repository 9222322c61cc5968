"""The config fields of the envs that replay dated prices, and their checks.

Kept apart from the envs' run-time code, and importing pandas only when a config is
checked, so that importing fieldgym (which imports every domain's configs) stays light.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fieldgym.envs.core.config import EnvConfig, check_choice, check_number, doc
from fieldgym.envs.core.errors import ConfigError

MODES = ("train", "backtest")
"""``train``: episodes start at random dates of the range; ``backtest``: at its start."""


def check_date(name: str, value: Any) -> None:
    """Require ``None`` or an ISO date string (``YYYY-MM-DD``)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise ConfigError(
            f"{name}={value!r} is not allowed; give an ISO date such as '2019-01-02'."
        )
    import pandas as pd  # at first use: importing fieldgym stays light

    try:
        pd.Timestamp(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a date ({exc}).") from exc


def check_range(config: Any) -> None:
    """Check ``start``, ``end`` and ``mode`` of a market environment's config."""
    import pandas as pd

    check_date("start", config.start)
    check_date("end", config.end)
    if config.start and config.end and pd.Timestamp(config.start) > pd.Timestamp(config.end):
        raise ConfigError(f"start={config.start!r} is after end={config.end!r}.")
    check_choice("mode", config.mode, MODES)


@dataclasses.dataclass(frozen=True)
class DatedConfig(EnvConfig):
    """The fields of the envs that replay dated prices (the stock and portfolio envs).

    Where the prices come from, the date range and how episodes start in it, the
    differential Sharpe ratio's moments and the NaN policy. Subclasses set ``source``'s
    default and add their own fields; their ``validate`` calls this one's first.
    """

    source: str = dataclasses.field(
        default="skfolio_sp500",
        metadata=doc(
            "price source: an offline dataset ('skfolio_sp500', 'arch_sp500', 'arch_nasdaq'), "
            "'yfinance' (needs the symbols; cached) or a .csv/.parquet path: wide (date, one "
            "close column per ticker), one ticker's OHLCV bars, or long (date, ticker, fields)"
        ),
    )
    start: str | None = dataclasses.field(
        default=None,
        metadata=doc("first date of the episode range (ISO); earlier prices feed features only"),
    )
    end: str | None = dataclasses.field(
        default=None,
        metadata=doc("last date of the range, inclusive; later prices are never loaded"),
    )
    mode: str = dataclasses.field(
        default="train",
        metadata=doc(
            "'train': each episode starts at a random date of the range; 'backtest': at the "
            "range's first date, running to its end"
        ),
    )
    episode_length: int = dataclasses.field(
        default=252,
        metadata=doc("'train': trading days an episode must fit after its random start (>= 1)"),
    )
    dsr_eta: float = dataclasses.field(
        default=0.01,
        metadata=doc("differential Sharpe ratio: adaptation rate of its moving moments (0, 1)"),
    )
    dsr_initial_volatility: float = dataclasses.field(
        default=0.01,
        metadata=doc(
            "differential Sharpe ratio: daily return std its second moment starts from; "
            "the variance is floored at a hundredth of its square"
        ),
    )
    ffill_limit: int = dataclasses.field(
        default=5,
        metadata=doc("NaN policy of file/yfinance prices: rows forward-filled after a price"),
    )
    cache_dir: str | None = dataclasses.field(
        default=None, metadata=doc("yfinance cache folder; None: ~/.cache/fieldgym/prices")
    )
    date_format: str | None = dataclasses.field(
        default=None,
        metadata=doc(
            "a file source's date format, strftime codes such as '%d/%m/%Y' (31/01/2020); "
            "None: pandas infers it from the first date, reading 01/02/2020 month first"
        ),
    )
    dayfirst: bool = dataclasses.field(
        default=False,
        metadata=doc(
            "a file source writes day-first dates (01/02/2020 is 1 February); for when "
            "date_format is None"
        ),
    )

    def validate(self) -> None:
        if not isinstance(self.source, str) or not self.source:
            raise ConfigError(f"source={self.source!r} is not allowed; give a source name.")
        check_range(self)
        check_number("episode_length", self.episode_length, low=1, integer=True)
        check_number("dsr_eta", self.dsr_eta, low=0, low_inclusive=False, high=1)
        check_number(
            "dsr_initial_volatility", self.dsr_initial_volatility, low=0, low_inclusive=False
        )
        check_number("ffill_limit", self.ffill_limit, low=0, integer=True)
        check_date_options(self)


def check_date_options(config: Any) -> None:
    """Check ``date_format`` and ``dayfirst``: file sources only, one of the two."""
    if config.date_format is not None and (
        not isinstance(config.date_format, str) or "%" not in config.date_format
    ):
        raise ConfigError(
            f"date_format={config.date_format!r} is not allowed; give strftime codes such as "
            "'%d/%m/%Y' or '%Y-%m-%d %H:%M', or None."
        )
    if not isinstance(config.dayfirst, bool):
        raise ConfigError(f"dayfirst={config.dayfirst!r} is not allowed; give true or false.")
    if config.date_format is not None and config.dayfirst:
        raise ConfigError(
            f"Give date_format={config.date_format!r} or dayfirst=True, not both: the format "
            "already says where the day is."
        )
    from fieldgym.envs.trading.data import is_file_source  # imports pandas

    if (config.date_format is not None or config.dayfirst) and not is_file_source(config.source):
        raise ConfigError(
            f"date_format and dayfirst say how a price file writes its dates; "
            f"source={config.source!r} is not a .csv/.parquet file. Remove them."
        )
