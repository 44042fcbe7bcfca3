"""Hostile input against the running pipeline (make fuzz)."""
