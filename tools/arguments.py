"""Argument types shared by the command-line tools: each error names what was wrong."""

from __future__ import annotations

import argparse
from datetime import date

MAX_PARTICIPANTS = 1_000_000


def participant_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_PARTICIPANTS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_PARTICIPANTS:,}, got {value}")
    return value


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def topic_namespace(text: str) -> str:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    if not set(text) <= allowed:
        raise argparse.ArgumentTypeError(
            f"may hold only letters, digits, '.', '_' and '-', got {text!r}"
        )
    return text


def share(text: str) -> float:
    """A share between 0 and 1 (a proportion of people, not money)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


MAX_INSTANCES = 9  # tools.services: instance ports are 100 apart


def instance_count(text: str) -> int:
    """Processes per service (1 to MAX_INSTANCES)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_INSTANCES:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_INSTANCES}, got {value}")
    return value
