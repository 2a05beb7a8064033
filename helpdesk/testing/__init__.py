"""Shared test helpers (pytest plugins) for every app's tests."""
