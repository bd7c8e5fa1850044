"""Alembic migrations of the bridge's database, run at start by reachy_mini_ros.db.migrate."""
