"""The population the commissioners' views aggregate: one starter and what they reached.

``StarterOutcomes`` is the shape of the read model's funnel row
(``services.views.read_model.FunnelRow``); ``Starter`` is a plain value of that shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from schemas.common import MilestoneKind


class StarterOutcomes(Protocol):
    @property
    def provider_id(self) -> str: ...
    @property
    def sub_region(self) -> str: ...
    @property
    def borough(self) -> str: ...
    @property
    def eligibility_group(self) -> str: ...
    @property
    def age_band(self) -> str: ...
    @property
    def referral_source(self) -> str: ...
    @property
    def start_date(self) -> date: ...
    @property
    def ever_in_work(self) -> bool: ...
    @property
    def milestones(self) -> tuple[tuple[MilestoneKind, date], ...]:
        """Standing milestones, each with the date it was first reached."""
        ...


@dataclass(frozen=True)
class Starter:
    provider_id: str
    sub_region: str
    borough: str
    eligibility_group: str
    age_band: str
    referral_source: str
    start_date: date
    ever_in_work: bool
    milestones: tuple[tuple[MilestoneKind, date], ...] = ()


def reached(starter: StarterOutcomes) -> Mapping[MilestoneKind, date]:
    """Milestone -> the date it was first reached."""
    return dict(starter.milestones)
