"""Plan a scenario.

The file's schema (``spec``), the checked plan (``planner``), its trials (``trials``) and
walk-forward windows (``walk_forward``).
"""
