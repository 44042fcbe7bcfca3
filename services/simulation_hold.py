"""The simulator's hold of one service: inputs waiting for what they refer to.

Indexed by what each input waits for and by its subject, so that releasing a key and
asking what a batch's subjects wait for cost what they touch, not the whole hold (the
hold of a long history holds hundreds of inputs at a time; scanning it on every
transaction made the simulator quadratic).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from services.common.messages import RawRecord


@dataclass(frozen=True)
class HeldInput:
    message_id: str
    waiting_for: str
    record: RawRecord
    subject: str | None


@dataclass
class Hold:
    _inputs: dict[int, HeldInput] = field(default_factory=dict)
    """Arrival number -> input, oldest first."""
    _by_waiting: dict[str, list[int]] = field(default_factory=dict)
    _by_subject: dict[str, list[int]] = field(default_factory=dict)
    _next: int = 0

    def add(self, held: HeldInput) -> None:
        number, self._next = self._next, self._next + 1
        self._inputs[number] = held
        self._by_waiting.setdefault(held.waiting_for, []).append(number)
        if held.subject is not None:
            self._by_subject.setdefault(held.subject, []).append(number)

    def release(self, keys: Iterable[str]) -> list[HeldInput]:
        """Take out every input waiting for one of ``keys``, oldest first."""
        numbers = sorted(n for key in set(keys) for n in self._by_waiting.pop(key, ()))
        released = [self._inputs.pop(n) for n in numbers]
        for number, held in zip(numbers, released, strict=True):
            if held.subject is not None:
                rest = [n for n in self._by_subject[held.subject] if n != number]
                if rest:
                    self._by_subject[held.subject] = rest
                else:
                    del self._by_subject[held.subject]
        return released

    def waiting(self, subjects: Iterable[str]) -> dict[str, list[str]]:
        """Subject -> what its held inputs wait for, oldest first (as ``db.held_waiting``)."""
        return {
            subject: [self._inputs[n].waiting_for for n in self._by_subject[subject]]
            for subject in set(subjects)
            if subject in self._by_subject
        }

    def __iter__(self) -> Iterator[HeldInput]:
        return iter(list(self._inputs.values()))

    def __len__(self) -> int:
        return len(self._inputs)

    def clear(self) -> None:
        self._inputs.clear()
        self._by_waiting.clear()
        self._by_subject.clear()


HeldWaiting = Callable[[Iterable[str]], dict[str, list[str]]]
"""What the memory adapters ask the hold: subjects -> what their held inputs wait for."""


def no_hold(subjects: Iterable[str]) -> dict[str, list[str]]:
    return {}
