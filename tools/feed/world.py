"""The world of the synthetic feed: boroughs, wage rates, contracts, people's attributes.

This mirrors domain.md §1, §3 and §7 (default contracts) as data for the generator and
its independent expectation; it is not configuration of the services (a unit test checks
that the two agree).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from schemas.common import EligibilityGroup, MilestoneKind, SubRegion

# domain.md §1, transcribed here on purpose (not imported from the services): the feed's
# expectation must not share a table with the code it checks.
BOROUGHS: Mapping[SubRegion, tuple[str, ...]] = {
    SubRegion.CENTRAL: (
        "Camden",
        "City of London",
        "Hackney",
        "Haringey",
        "Islington",
        "Kensington and Chelsea",
        "Lambeth",
        "Lewisham",
        "Southwark",
        "Tower Hamlets",
        "Wandsworth",
        "Westminster",
    ),
    SubRegion.WEST: (
        "Barnet",
        "Brent",
        "Ealing",
        "Hammersmith and Fulham",
        "Harrow",
        "Hillingdon",
        "Hounslow",
    ),
    SubRegion.LOCAL: (
        "Barking and Dagenham",
        "Bexley",
        "Bromley",
        "Enfield",
        "Greenwich",
        "Havering",
        "Newham",
        "Redbridge",
        "Waltham Forest",
    ),
    SubRegion.SOUTH: (
        "Croydon",
        "Kingston upon Thames",
        "Merton",
        "Richmond upon Thames",
        "Sutton",
    ),
    # Any place outside London: a few local-authority names.
    SubRegion.NATIONAL: (
        "Manchester",
        "Leeds",
        "Cardiff",
        "Birmingham",
        "Bristol",
        "Sheffield",
        "Liverpool",
        "Newcastle upon Tyne",
        "Nottingham",
        "Glasgow",
    ),
}


def place_key(name: str) -> str:
    """domain.md §9: case-insensitive, "&" reads "and", hyphens as spaces, spaces collapse."""
    return " ".join(name.casefold().replace("&", " and ").replace("-", " ").split())


_LONDON: Mapping[str, SubRegion] = {
    place_key(name): region
    for region, names in BOROUGHS.items()
    if region is not SubRegion.NATIONAL
    for name in names
}


def sub_region_of(borough: str) -> SubRegion:
    """The sub-region of a place name: its London partnership, else ``national``."""
    return _LONDON.get(place_key(borough), SubRegion.NATIONAL)


# National Living Wage (from 1 April) and London Living Wage (from 1 November), pence/hour.
NLW: tuple[tuple[date, int], ...] = tuple(
    (date(year, 4, 1), pence)
    for year, pence in (
        (2016, 720),
        (2017, 750),
        (2018, 783),
        (2019, 821),
        (2020, 872),
        (2021, 891),
        (2022, 950),
        (2023, 1042),
        (2024, 1144),
        (2025, 1221),
        (2026, 1271),
    )
)
LLW: tuple[tuple[date, int], ...] = tuple(
    (date(year, 11, 1), pence)
    for year, pence in (
        (2016, 975),
        (2017, 1020),
        (2018, 1055),
        (2019, 1075),
        (2020, 1085),
        (2021, 1105),
        (2022, 1195),
        (2023, 1315),
        (2024, 1385),
        (2025, 1480),
    )
)


def rate_on(table: Sequence[tuple[date, int]], on: date) -> int:
    """The rate in force on ``on`` (tables are sorted by effective date)."""
    found: int | None = None
    for effective, pence in table:
        if effective <= on:
            found = pence
    if found is None:
        raise ValueError(f"no rate in force on {on.isoformat()}")
    return found


THRESHOLD_HOURS = 416
OUTCOME_WINDOW_DAYS = 638
SELF_EMPLOYMENT_DAYS = 182
SUSTAINED_WEEKS: Mapping[MilestoneKind, int] = {
    MilestoneKind.SUSTAINED_13W: 13,
    MilestoneKind.SUSTAINED_26W: 26,
    MilestoneKind.SUSTAINED_52W: 52,
}


@dataclass(frozen=True)
class FeedContract:
    """A default contract (domain.md §7) as far as the generator needs it."""

    contract_id: str
    sub_region: SubRegion
    starts_from: date
    starts_until: date
    weight: int
    prices: Mapping[MilestoneKind, int]
    llw_uplift_percent: int
    weekly_hours_min: int = 16
    group_prices: Mapping[EligibilityGroup, Mapping[MilestoneKind, int]] = field(
        default_factory=dict
    )

    def price(self, group: EligibilityGroup, milestone: MilestoneKind) -> int:
        """domain.md §7/§9: the group's override if any, else the contract's price."""
        override = self.group_prices.get(group, {})
        if milestone in override:
            return override[milestone]
        return self.prices.get(milestone, 0)

    @property
    def provider_id(self) -> str:
        return "prov-" + self.contract_id


def _whp(contract_id: str, sub_region: SubRegion, uplift: int, weight: int) -> FeedContract:
    return FeedContract(
        contract_id=contract_id,
        sub_region=sub_region,
        starts_from=date(2017, 11, 1) if sub_region is SubRegion.NATIONAL else date(2018, 3, 1),
        starts_until=date(2024, 9, 30),
        weight=weight,
        prices={
            MilestoneKind.EARNINGS_OUTCOME: 400_000,
            MilestoneKind.SELF_EMPLOYMENT_OUTCOME: 400_000,
        },
        llw_uplift_percent=uplift,
    )


DEFAULT_CONTRACTS: tuple[FeedContract, ...] = (
    _whp("whp-national", SubRegion.NATIONAL, 0, 15),
    _whp("whp-central", SubRegion.CENTRAL, 25, 18),
    _whp("whp-west", SubRegion.WEST, 20, 14),
    _whp("whp-south", SubRegion.SOUTH, 15, 10),
    _whp("whp-local", SubRegion.LOCAL, 0, 18),
    FeedContract(
        contract_id="pioneer-central",
        sub_region=SubRegion.CENTRAL,
        starts_from=date(2023, 9, 13),
        starts_until=date(2026, 12, 31),
        weight=25,
        prices={
            MilestoneKind.JOB_START: 50_000,
            MilestoneKind.SUSTAINED_13W: 100_000,
            MilestoneKind.SUSTAINED_26W: 150_000,
        },
        llw_uplift_percent=10,
    ),
)

# Group price overrides the feed exercises (domain.md §7 allows them per contract). The
# default contracts of domain.md have none; ``make run`` and the e2e tests give the
# services a contract book with these added (tools.feed.reference), so that the
# override path is paid for real.
GROUP_PRICES: Mapping[str, Mapping[EligibilityGroup, Mapping[MilestoneKind, int]]] = {
    "whp-central": {
        EligibilityGroup.DISABILITY: {
            MilestoneKind.EARNINGS_OUTCOME: 450_000,
            MilestoneKind.SELF_EMPLOYMENT_OUTCOME: 450_000,
        },
    },
    "whp-west": {
        # Not paid for this group: both outcomes then leave only self-employment payable.
        EligibilityGroup.EARLY_ACCESS: {MilestoneKind.EARNINGS_OUTCOME: 0},
    },
    "pioneer-central": {
        EligibilityGroup.LONG_TERM_UNEMPLOYED: {
            MilestoneKind.JOB_START: 60_000,
            MilestoneKind.SUSTAINED_13W: 120_000,
        },
    },
}
FEED_CONTRACTS: tuple[FeedContract, ...] = tuple(
    replace(c, group_prices=GROUP_PRICES.get(c.contract_id, {})) for c in DEFAULT_CONTRACTS
)
CONTRACTS_BY_ID: Mapping[str, FeedContract] = {c.contract_id: c for c in FEED_CONTRACTS}

DEFAULT_START = date(2022, 1, 1)
MAX_START_LAG_DAYS = 30  # programme start is 0-30 days after the referral

# NINO letters (domain.md §4).
NINO_FIRST = tuple(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "DFIQUV")
NINO_SECOND = tuple(c for c in NINO_FIRST if c != "O")
NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def nino_is_valid(nino: str) -> bool:
    """The rule of domain.md §4 (spaces ignored, case folded)."""
    n = nino.replace(" ", "").upper()
    return (
        len(n) == 9
        and n[0] in NINO_FIRST
        and n[1] in NINO_SECOND
        and n[:2] not in NINO_BAD_PREFIXES
        and n[2:8].isascii()
        and n[2:8].isdigit()
        and n[8] in "ABCD"
    )


def age_on(born: date, on: date) -> int:
    """Age in completed years (a 29 February birthday counts from 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


EARLY_ACCESS_SUBGROUPS = (
    "ex_offender",
    "care_leaver",
    "homeless",
    "carer",
    "ex_armed_forces",
    "refugee",
    "substance_misuse",
    "domestic_abuse_survivor",
)
LEAVER_REASONS = ("moved_away", "health", "withdrew", "custody", "other_provision")
SECTORS = (
    "retail",
    "hospitality",
    "health_and_social_care",
    "logistics",
    "construction",
    "administration",
    "cleaning",
    "security",
    "education",
)
EMPLOYERS = (
    "Northgate Foods Ltd",
    "Riverside Care",
    "Thames Logistics",
    "City Cleaning Co",
    "Greenway Retail",
    "Borough Builders",
    "Capital Security Services",
    "Parkside Hotel",
    "Meridian Admin Services",
    "St Luke's Nursery",
)
HOURS_COMMON = tuple(Decimal(h) for h in ("16", "20", "24", "25", "30", "35", "37.5", "40"))
