"""Package discovery for the layout in which the repository root is the ``fieldgym`` package.

``pyproject.toml`` holds all metadata; this file only lists the subpackages, so a new
domain folder (``envs/<domain>``, ``agents/<domain>``) is packaged without editing it.
"""

from setuptools import find_namespace_packages, setup

SUBPACKAGES = ("envs", "agents", "scenarios")

if __name__ == "__main__":  # setuptools runs this file as __main__; importing it does nothing
    setup(
        package_dir={"fieldgym": "."},
        packages=["fieldgym"]
        + [
            f"fieldgym.{name}"
            for name in find_namespace_packages(
                where=".", include=[f"{p}{suffix}" for p in SUBPACKAGES for suffix in ("", ".*")]
            )
            if "__pycache__" not in name
        ],
    )
