"""Declared schemas, migrations with a ledger, and drift verification."""
