"""Leaderboards built from run directories: rows, verification, tables, pages, plots."""
