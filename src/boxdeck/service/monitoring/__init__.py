"""Watching the backends: the monitor and its cadence, health and freshness, snapshots and diffs, what the
user is told."""
