"""Helpers for the test suites of every app (no app imports this at run time)."""
