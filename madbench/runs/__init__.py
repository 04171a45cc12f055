"""Run directories: configuration, provenance, checkpoints, results, resume."""
