"""Benchmarks that print percentiles and ratios (not pass/fail tests); each has a page in bench/ (bench/README.md lists them)."""
