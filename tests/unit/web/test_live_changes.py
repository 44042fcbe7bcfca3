"""Which read-model changes an open page hears about."""

from __future__ import annotations

from services.views.notify import Change
from services.web.pages.live import concerns


def test_an_adviser_hears_only_of_their_own_provider() -> None:
    mine = Change("prov-a", "p-1").payload()
    theirs = Change("prov-b", "p-2").payload()
    whole_provider = Change("prov-a", None).payload()

    assert concerns(mine, "prov-a")
    assert concerns(whole_provider, "prov-a")
    assert not concerns(theirs, "prov-a")


def test_other_roles_and_unreadable_payloads_hear_everything() -> None:
    assert concerns(Change("prov-b", "p-2").payload(), None)
    assert concerns("reconnected", "prov-a")
    assert concerns("{not json", "prov-a")
