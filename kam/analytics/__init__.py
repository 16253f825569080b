"""The analytics core: plain Python on Polars, transaction frames in, result frames out.

It never imports Django (tests/analytics/test_purity.py enforces it), so the CLI, the app and
the API all run the same implementation, and it can be tested and benchmarked on its own.
"""
