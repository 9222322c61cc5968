"""One asset, discrete target positions, filled at the next bar."""
