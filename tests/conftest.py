"""Fixtures shared by every test folder."""

# memory_keyring: an in-memory keyring for tests that must see exactly what
# lands in it (the real Secret Service backend has its own test).
pytest_plugins = ["tests.support.memory_keyring"]
