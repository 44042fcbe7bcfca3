"""A service's use cases as a table: event type -> the function that handles it.

Each function takes the service's per-round context and the item, typed by its event::

    RULES: Rules[Round] = Rules()

    @RULES.on(JobStarted)
    def job_started(round_: Round, item: Received[JobStarted]) -> None: ...

``apply`` finds the function of an item's event type; an event type with no entry has
no effect (a topic may carry events a service does not act on).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar, cast

from schemas.base import Event
from services.common.decisions import HeldSubjects
from services.common.holds import Subject
from services.common.messages import Received
from services.runtime.ports import Repository

C = TypeVar("C")
E = TypeVar("E", bound=Event)

Rule = Callable[[C, Received[E]], None]


class Rules(Generic[C]):
    def __init__(self) -> None:
        self._table: dict[type[Event], Rule[C, Event]] = {}

    def on(self, kind: type[E]) -> Callable[[Rule[C, E]], Rule[C, E]]:
        """Register the function for events of type ``kind`` (one per type)."""

        def register(rule: Rule[C, E]) -> Rule[C, E]:
            if kind in self._table:
                raise ValueError(f"{kind.__name__} already has a rule")
            self._table[kind] = _typed(kind, rule)
            return rule

        return register

    def apply(self, context: C, item: Received[Event]) -> None:
        rule = self._table.get(type(item.event))
        if rule is not None:
            rule(context, item)

    @property
    def kinds(self) -> frozenset[type[Event]]:
        return frozenset(self._table)


def _typed(kind: type[E], rule: Rule[C, E]) -> Rule[C, Event]:
    """``rule`` over any item: the item handed on as ``Received[kind]`` (checked). The
    same (immutable) item, so the ids it has worked out already come with it."""

    def apply(context: C, item: Received[Event]) -> None:
        event = item.event
        if not isinstance(event, kind):
            raise TypeError(f"a {type(event).__name__} reached the rule for {kind.__name__}")
        rule(context, cast(Received[E], item))

    return apply


async def run_round(
    repo: Repository,
    loaded: Awaitable[None],
    items: Sequence[Received[Event]],
    rules: Rules[C],
    context: Callable[[HeldSubjects], C],
    subjects: Callable[[Event], Subject | None] = lambda _event: None,
) -> None:
    """One round of a service's handling: ``loaded`` (the repository reading what the
    items need), what the held inputs of their subjects wait for, each item's rule in
    order, then the repository's writes."""
    await loaded
    wanted = [s for i in items if (s := subjects(i.event)) is not None]
    held = HeldSubjects(await repo.held_waiting(wanted) if wanted else {})
    round_context = context(held)
    for item in items:
        rules.apply(round_context, item)
    await repo.flush()
