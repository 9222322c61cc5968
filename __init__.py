"""fieldgym: Gymnasium environments for applied reinforcement learning.

Importing ``fieldgym`` registers every environment id with Gymnasium, so that
``gymnasium.make("fieldgym/MultiEchelonInventory-v1")`` works after ``import fieldgym``.
Multi-agent environments are created with :func:`make_parallel`.
"""

from __future__ import annotations

from fieldgym.envs import make_parallel, register_envs

__all__ = ["__version__", "make_parallel"]
__version__ = "0.1.0"

register_envs()
