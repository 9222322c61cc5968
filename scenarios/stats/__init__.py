"""Statistics of a run: intervals and gaps (intervals), and the suite's aggregates."""
