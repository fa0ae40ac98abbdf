"""Prefect flows (nightly, backfill, reparse) and the ``pressroom`` CLI: thin wiring over plain functions."""
