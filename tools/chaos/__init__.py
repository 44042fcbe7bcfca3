"""Crashes of services, broker and database during a feed (make chaos)."""
