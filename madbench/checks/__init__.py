"""Checks of madbench's metrics against independent implementations.

:mod:`references`: brute-force references that share no code with madbench.metrics;
:mod:`selfcheck`: ``madbench selfcheck``, which compares the two on built-in data.
"""
