"""Benchmarks: `python -m tests.benchmarks` (or `pytest -m benchmark -s`) prints figures."""
