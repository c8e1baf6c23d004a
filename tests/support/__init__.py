"""Helpers shared by tests (not fixtures): import as ``tests.support.<module>``."""
