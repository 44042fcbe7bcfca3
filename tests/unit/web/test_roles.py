"""Roles: what each written role means, and what is refused."""

from __future__ import annotations

import pytest

from schemas.common import SubRegion
from services.web.roles import InvalidRole, Role, parse_role


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("provider:prov-whp-central", Role("provider", "prov-whp-central")),
        ("commissioner:west", Role("commissioner", "west")),
        ("commissioner:london", Role("commissioner", "london")),
        ("enforcement:hammersmith & fulham", Role("enforcement", "Hammersmith and Fulham")),
        ("finance", Role("finance")),
        ("ops", Role("ops")),
    ],
)
def test_roles_read_as_written(text: str, role: Role) -> None:
    assert parse_role(text) == role
    assert parse_role(str(role)) == role


@pytest.mark.parametrize(
    "text",
    [
        "provider",
        "provider:",
        "provider:has.dot",
        "commissioner:national",
        "commissioner:north",
        "enforcement:Manchester",
        "finance:x",
        "admin",
        "",
        "provider:" + "p" * 100,
    ],
)
def test_anything_else_is_no_role(text: str) -> None:
    with pytest.raises(InvalidRole):
        parse_role(text)


def test_a_provider_role_sees_its_own_provider_only() -> None:
    assert parse_role("provider:prov-a").provider_id == "prov-a"
    assert parse_role("commissioner:west").provider_id is None
    assert parse_role("finance").provider_id is None


def test_commissioner_london_sees_the_four_london_sub_regions() -> None:
    assert parse_role("commissioner:london").sub_regions == (
        SubRegion.CENTRAL,
        SubRegion.WEST,
        SubRegion.LOCAL,
        SubRegion.SOUTH,
    )
    assert parse_role("commissioner:south").sub_regions == (SubRegion.SOUTH,)
    assert parse_role("provider:prov-a").sub_regions == ()
