"""The four services and their shared runtime."""
