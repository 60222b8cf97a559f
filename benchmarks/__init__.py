"""Benchmarks: one script per part; ``python -m benchmarks`` runs them and prints one table."""
