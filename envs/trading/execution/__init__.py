"""Optimal execution under Almgren-Chriss impact."""
