"""Benchmarks: each prints its figures and their ratio to a baseline measured in the same
run, because this machine is shared and absolute times drift. Run with ``make bench`` or
``python -m benchmarks NAME [options]``."""
