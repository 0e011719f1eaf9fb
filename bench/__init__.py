"""Benchmark corpus generator and runner (stdlib only; see bench/corpus.py and bench/run.py)."""
