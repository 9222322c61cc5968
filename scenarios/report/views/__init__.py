"""One module per domain, each defining ``VIEW``: what reports show of that domain."""
