"""N assets plus cash: daily allocation with proportional costs."""
