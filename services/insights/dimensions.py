"""What a funnel or a cohort chart can be broken down by (domain.md §11)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from .months import month_label, month_of
from .starters import StarterOutcomes


class Dimension(StrEnum):
    SUB_REGION = "sub_region"
    BOROUGH = "borough"
    ELIGIBILITY_GROUP = "eligibility_group"
    AGE_BAND = "age_band"
    PROVIDER = "provider"
    REFERRAL_SOURCE = "referral_source"
    START_MONTH = "start_month"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Dimension.SUB_REGION: "Sub-region",
    Dimension.BOROUGH: "Borough",
    Dimension.ELIGIBILITY_GROUP: "Eligibility group",
    Dimension.AGE_BAND: "Age band",
    Dimension.PROVIDER: "Provider",
    Dimension.REFERRAL_SOURCE: "Referral source",
    Dimension.START_MONTH: "Start month",
}

_VALUE: dict[Dimension, Callable[[StarterOutcomes], str]] = {
    Dimension.SUB_REGION: lambda s: s.sub_region,
    Dimension.BOROUGH: lambda s: s.borough,
    Dimension.ELIGIBILITY_GROUP: lambda s: s.eligibility_group,
    Dimension.AGE_BAND: lambda s: s.age_band,
    Dimension.PROVIDER: lambda s: s.provider_id,
    Dimension.REFERRAL_SOURCE: lambda s: s.referral_source,
    Dimension.START_MONTH: lambda s: month_label(month_of(s.start_date)),
}


def value_of(starter: StarterOutcomes, dimension: Dimension) -> str:
    return _VALUE[dimension](starter)


def key_of(starter: StarterOutcomes, dimensions: tuple[Dimension, ...]) -> tuple[str, ...]:
    return tuple(value_of(starter, d) for d in dimensions)


def checked(dimensions: tuple[Dimension, ...]) -> tuple[Dimension, ...]:
    """At most two distinct dimensions (one breakdown, or two crossed)."""
    if len(dimensions) > 2 or len(set(dimensions)) != len(dimensions):
        raise ValueError("break down by at most two different dimensions")
    return dimensions
