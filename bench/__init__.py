"""Benchmarks that print percentiles and ratios (not pass/fail tests); see bench/README.md."""
