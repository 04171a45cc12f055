"""Data sets (generated and stored), their manifests, and the IDX reader."""
