"""Benchmarks that print percentiles and ratios (not pass/fail tests); each has a page in bench/,
listed in bench/README.md."""
