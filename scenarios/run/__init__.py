"""Run a plan's trials.

The runner (``runner``), its backends (processes, Ray; ``backends``), the claims that let
several runs share a folder (``claims``) and the results store (``store``).
"""
