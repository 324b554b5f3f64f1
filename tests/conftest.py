"""Engine tests. Shared builders live in tests/fixtures (imported as `tests.fixtures.*`)."""
