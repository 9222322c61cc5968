"""Classical inventory baselines (being written)."""
