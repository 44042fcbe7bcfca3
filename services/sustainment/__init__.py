"""The sustainment service."""
