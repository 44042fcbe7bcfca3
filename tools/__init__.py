"""Operator tools: synthetic provider feed, pipeline runner, summary."""
