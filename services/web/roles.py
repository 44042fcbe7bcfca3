"""Who a user is to the service: one role per user, written ``kind[:scope]``.

- ``provider:<provider_id>`` — an adviser at a provider: its own participants only
- ``commissioner:<sub_region>`` — a sub-region's commissioner; ``commissioner:london``: all
  London sub-regions
- ``enforcement:<borough>`` — minimum-wage enforcement of one borough
- ``finance``, ``ops``

Pure: parsing and the questions pages ask (which provider's participants, which
sub-regions), nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from schemas.common import SubRegion
from schemas.topics import PROVIDER_ID
from services.common.boroughs import LONDON_BOROUGHS, normalise_place_name

RoleKind = Literal["provider", "commissioner", "enforcement", "finance", "ops"]
SCOPED: Final[frozenset[str]] = frozenset({"provider", "commissioner", "enforcement"})
UNSCOPED: Final[frozenset[str]] = frozenset({"finance", "ops"})
ALL_LONDON: Final = "london"
LONDON_SUB_REGIONS: Final = tuple(s for s in SubRegion if s is not SubRegion.NATIONAL)
ROLE_MAX: Final = 100


class InvalidRole(ValueError):
    """A role string that names no role (the message says what is expected)."""


@dataclass(frozen=True)
class Role:
    kind: RoleKind
    scope: str | None = None

    def __str__(self) -> str:
        return self.kind if self.scope is None else f"{self.kind}:{self.scope}"

    @property
    def provider_id(self) -> str | None:
        """The provider whose participants this role sees, if it is an adviser's."""
        return self.scope if self.kind == "provider" else None

    @property
    def sub_regions(self) -> tuple[SubRegion, ...]:
        """The sub-regions a commissioner sees (none for other roles)."""
        if self.kind != "commissioner" or self.scope is None:
            return ()
        if self.scope == ALL_LONDON:
            return LONDON_SUB_REGIONS
        return (SubRegion(self.scope),)


def parse_role(text: str) -> Role:
    """The role named by ``text``; :class:`InvalidRole` when it names none."""
    if len(text) > ROLE_MAX:
        raise InvalidRole(f"a role is at most {ROLE_MAX} characters")
    kind, _, scope = text.strip().partition(":")
    if kind in UNSCOPED and not scope:
        return Role(kind)  # type: ignore[arg-type]
    if kind not in SCOPED or not scope:
        raise InvalidRole(
            f"{text!r} is not a role: use provider:<provider_id>, commissioner:<sub_region>,"
            " commissioner:london, enforcement:<borough>, finance or ops"
        )
    if kind == "provider":
        if not PROVIDER_ID.fullmatch(scope):
            raise InvalidRole(f"{scope!r} is not a provider id")
        return Role("provider", scope)
    if kind == "commissioner":
        sub_regions = {s.value for s in LONDON_SUB_REGIONS} | {ALL_LONDON}
        if scope not in sub_regions:
            raise InvalidRole(f"{scope!r} is not one of {', '.join(sorted(sub_regions))}")
        return Role("commissioner", scope)
    known = LONDON_BOROUGHS.get(normalise_place_name(scope))
    if known is None:
        raise InvalidRole(f"{scope!r} is not a London borough")
    return Role("enforcement", known[1])
