"""Benchmarks: each prints its figures (no timed tests); `output` formats them the same way everywhere."""
