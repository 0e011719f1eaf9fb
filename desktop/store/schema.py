"""How many schema steps this build knows, without importing sqlite-utils (a fast start matters:
the CLI opens the archive on every command). tests/test_store.py keeps it equal to the migrations."""

SCHEMA_STEPS = 4
