"""Metrics on feature arrays, real set first and generated set second."""
