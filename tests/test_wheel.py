"""The built wheel holds the package only: no setup.py, tests, reports or benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_holds_the_package_only(tmp_path: Path) -> None:
    # built from a copy: setuptools writes build/ and *.egg-info into the source folder
    source = tmp_path / "source"
    skip = shutil.ignore_patterns(".venv", ".git", "runs", "build", "*.egg-info", "__pycache__")
    shutil.copytree(ROOT, source, ignore=skip)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(source)],
        check=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("fieldgym-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"fieldgym", next(t for t in tops if t.endswith(".dist-info"))}
    modules = {name.split("/")[1] for name in names if name.startswith("fieldgym/")}
    assert modules == {"__init__.py", "agents", "data", "envs", "hyperparams", "scenarios"}
    assert "fieldgym/envs/core/vector.py" in names
