"""Shared runtime of the services: settings, codec, inbox/outbox, relay, metrics."""
