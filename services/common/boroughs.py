"""London boroughs and their sub-regional partnerships (domain.md §1, §9)."""

from __future__ import annotations

from types import MappingProxyType

from schemas.common import SubRegion

BOROUGHS_BY_SUB_REGION: dict[SubRegion, tuple[str, ...]] = {
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
}


def normalise_place_name(name: str) -> str:
    """Case folded, "&" read as "and", hyphens as spaces, runs of spaces collapsed."""
    spaced = name.casefold().replace("&", " and ").replace("-", " ")
    return " ".join(spaced.split())


LONDON_BOROUGHS: MappingProxyType[str, tuple[SubRegion, str]] = MappingProxyType(
    {
        normalise_place_name(borough): (sub_region, borough)
        for sub_region, boroughs in BOROUGHS_BY_SUB_REGION.items()
        for borough in boroughs
    }
)


def locate_borough(name: str) -> tuple[SubRegion, str]:
    """The sub-region of a place and its canonical name.

    A London borough gives its partnership and the spelling of domain.md §1
    ("hammersmith & fulham" -> (west, "Hammersmith and Fulham")). Any other
    non-empty name is a national place, named by its normalised (case-folded) form.
    A blank name raises ValueError: it names no place at all.
    """
    key = normalise_place_name(name)
    if not key:
        raise ValueError("a borough name must not be blank")
    return LONDON_BOROUGHS.get(key, (SubRegion.NATIONAL, key))
