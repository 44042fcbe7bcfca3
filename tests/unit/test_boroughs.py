"""Boroughs: the 33 London boroughs, their sub-regions, and name normalisation."""

from __future__ import annotations

import pytest

from schemas.common import SubRegion
from services.common.boroughs import LONDON_BOROUGHS, locate_borough

EXPECTED = [
    ("Camden", SubRegion.CENTRAL),
    ("City of London", SubRegion.CENTRAL),
    ("Hackney", SubRegion.CENTRAL),
    ("Haringey", SubRegion.CENTRAL),
    ("Islington", SubRegion.CENTRAL),
    ("Kensington and Chelsea", SubRegion.CENTRAL),
    ("Lambeth", SubRegion.CENTRAL),
    ("Lewisham", SubRegion.CENTRAL),
    ("Southwark", SubRegion.CENTRAL),
    ("Tower Hamlets", SubRegion.CENTRAL),
    ("Wandsworth", SubRegion.CENTRAL),
    ("Westminster", SubRegion.CENTRAL),
    ("Barnet", SubRegion.WEST),
    ("Brent", SubRegion.WEST),
    ("Ealing", SubRegion.WEST),
    ("Hammersmith and Fulham", SubRegion.WEST),
    ("Harrow", SubRegion.WEST),
    ("Hillingdon", SubRegion.WEST),
    ("Hounslow", SubRegion.WEST),
    ("Barking and Dagenham", SubRegion.LOCAL),
    ("Bexley", SubRegion.LOCAL),
    ("Bromley", SubRegion.LOCAL),
    ("Enfield", SubRegion.LOCAL),
    ("Greenwich", SubRegion.LOCAL),
    ("Havering", SubRegion.LOCAL),
    ("Newham", SubRegion.LOCAL),
    ("Redbridge", SubRegion.LOCAL),
    ("Waltham Forest", SubRegion.LOCAL),
    ("Croydon", SubRegion.SOUTH),
    ("Kingston upon Thames", SubRegion.SOUTH),
    ("Merton", SubRegion.SOUTH),
    ("Richmond upon Thames", SubRegion.SOUTH),
    ("Sutton", SubRegion.SOUTH),
]


def test_there_are_33_london_boroughs() -> None:
    assert len(EXPECTED) == 33
    assert len(LONDON_BOROUGHS) == 33


@pytest.mark.parametrize(("borough", "sub_region"), EXPECTED)
def test_every_borough_maps_to_its_sub_region(borough: str, sub_region: SubRegion) -> None:
    assert locate_borough(borough) == (sub_region, borough)


@pytest.mark.parametrize(("borough", "sub_region"), EXPECTED)
def test_matching_ignores_case(borough: str, sub_region: SubRegion) -> None:
    assert locate_borough(borough.upper()) == (sub_region, borough)
    assert locate_borough(borough.lower()) == (sub_region, borough)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Hammersmith & Fulham", (SubRegion.WEST, "Hammersmith and Fulham")),
        ("hammersmith&fulham", (SubRegion.WEST, "Hammersmith and Fulham")),
        ("Barking & Dagenham", (SubRegion.LOCAL, "Barking and Dagenham")),
        ("Kensington & Chelsea", (SubRegion.CENTRAL, "Kensington and Chelsea")),
        ("kingston-upon-thames", (SubRegion.SOUTH, "Kingston upon Thames")),
        ("Richmond-upon-Thames", (SubRegion.SOUTH, "Richmond upon Thames")),
        ("  City   of London ", (SubRegion.CENTRAL, "City of London")),
        ("Tower\tHamlets", (SubRegion.CENTRAL, "Tower Hamlets")),
        ("waltham - forest", (SubRegion.LOCAL, "Waltham Forest")),
    ],
)
def test_names_are_normalised(given: str, expected: tuple[SubRegion, str]) -> None:
    assert locate_borough(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Manchester", (SubRegion.NATIONAL, "manchester")),
        ("  Newcastle-upon-Tyne ", (SubRegion.NATIONAL, "newcastle upon tyne")),
        ("Brighton & Hove", (SubRegion.NATIONAL, "brighton and hove")),
        ("Kingston", (SubRegion.NATIONAL, "kingston")),
        ("City of Westminster", (SubRegion.NATIONAL, "city of westminster")),
    ],
)
def test_any_other_name_is_national(given: str, expected: tuple[SubRegion, str]) -> None:
    assert locate_borough(given) == expected


@pytest.mark.parametrize("blank", ["", "   ", " - "])
def test_a_blank_name_is_no_place(blank: str) -> None:
    with pytest.raises(ValueError, match="blank"):
        locate_borough(blank)
