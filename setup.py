"""Package discovery for the layout in which the repository root is the ``fieldgym`` package.

``pyproject.toml`` holds all metadata; this file only lists the subpackages, so a new
domain folder (``envs/<domain>``, ``agents/<domain>``) is packaged without editing it.
"""

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

SUBPACKAGES = ("envs", "agents", "scenarios")


class BuildPackageOnly(build_py):
    """Leave this file out of the wheel.

    With the repository root as the package's folder, setuptools would ship it as the
    module ``fieldgym.setup``.
    """

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        modules = super().find_package_modules(package, package_dir)
        return [m for m in modules if (m[0], m[1]) != ("fieldgym", "setup")]


if __name__ == "__main__":  # setuptools runs this file as __main__; importing it does nothing
    setup(
        cmdclass={"build_py": BuildPackageOnly},
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
