"""Intake rules: NINOs, pseudonyms, ages, referral and start checks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from schemas.common import AgeBand, EligibilityGroup, ReferralSource, RejectionReason
from schemas.provider import ReferralMade
from services.common.reference import Contract, ContractBook, load_contracts
from services.intake.domain import (
    age_band,
    age_on,
    check_referral,
    check_start,
    mask_nino,
    normalise_nino,
    participant_id_for,
    same_referral_content,
)

CONTRACTS = load_contracts()


def referral(**changes: Any) -> ReferralMade:
    fields: dict[str, Any] = {
        "event_id": UUID("00000000-0000-4000-8000-000000000001"),
        "produced_at": datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
        "provider_id": "prov-whp-central",
        "contract_id": "whp-central",
        "referral_id": "ref-1",
        "nino": "AB123456C",
        "date_of_birth": date(1990, 6, 15),
        "borough": "Camden",
        "eligibility_group": EligibilityGroup.DISABILITY,
        "referral_source": ReferralSource.JOBCENTRE,
        "referral_date": date(2024, 5, 1),
    }
    fields.update(changes)
    return ReferralMade(**fields)


# --- NINO ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AB123456C", "AB123456C"),
        ("ab123456c", "AB123456C"),
        ("AB 12 34 56 C", "AB123456C"),
        ("  aB 123456 d ", "AB123456D"),
        ("AB123456A", "AB123456A"),
        ("OA123456B", "OA123456B"),
        ("ZA123456C", "ZA123456C"),
        ("NA123456C", "NA123456C"),
    ],
)
def test_valid_ninos_are_normalised(raw: str, expected: str) -> None:
    assert normalise_nino(raw) == expected


@pytest.mark.parametrize("letter", list("DFIQUV"))
def test_a_forbidden_letter_in_either_prefix_position_is_invalid(letter: str) -> None:
    assert normalise_nino(f"{letter}A123456C") is None
    assert normalise_nino(f"A{letter}123456C") is None


@pytest.mark.parametrize("prefix", ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ", "bg", "z z"])
def test_a_forbidden_prefix_is_invalid(prefix: str) -> None:
    assert normalise_nino(f"{prefix}123456C") is None


@pytest.mark.parametrize(
    "raw",
    [
        "AO123456C",  # O as second letter
        "AB123456E",  # suffix beyond D
        "AB123456",  # no suffix
        "AB1234567C",  # seven digits
        "AB12345C",  # five digits
        "A1123456C",  # digit in prefix
        "AB12345XC",  # letter among digits
        "AB\u0661\u0662\u0663\u0664\u0665\u0666C",  # Arabic-Indic digits
        "",
        "AB-123456-C",
    ],
)
def test_malformed_ninos_are_invalid(raw: str) -> None:
    assert normalise_nino(raw) is None


def test_mask_shows_only_the_prefix() -> None:
    assert mask_nino("AB 12 34 56 C") == "AB*******"
    assert mask_nino("ABC") == "***"


def test_participant_id_is_a_stable_keyed_hmac() -> None:
    # Given the normalised NINO and a key, when derived twice, then the same hex HMAC
    # (computed independently: printf AB123456C | openssl dgst -sha256 -hmac test-key).
    expected = "081b885a23601c91cd3d10cb3d69f9285cfd58979d336333581eae92336b104a"
    assert participant_id_for("AB123456C", b"test-key") == expected
    assert participant_id_for("AB123456C", b"test-key") == expected


def test_participant_id_depends_on_the_key_and_the_nino() -> None:
    other_key = "ac4e2407a40f20131e4f66790d3eafc0845a8784b7369557af9b8650e65f1f0b"
    assert participant_id_for("AB123456C", b"other-key") == other_key
    assert participant_id_for("AB123456D", b"test-key") != participant_id_for(
        "AB123456C", b"test-key"
    )


def test_participant_id_needs_a_key() -> None:
    with pytest.raises(ValueError, match="key"):
        participant_id_for("AB123456C", b"")


# --- age -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2000, 6, 15), date(2016, 6, 14), 15),
        (date(2000, 6, 15), date(2016, 6, 15), 16),
        (date(2000, 2, 29), date(2017, 2, 28), 16),
        (date(2000, 2, 29), date(2017, 3, 1), 17),
        (date(2000, 2, 29), date(2020, 2, 28), 19),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
        (date(1999, 12, 31), date(2000, 1, 1), 0),
    ],
)
def test_age_in_completed_years(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (16, AgeBand.YOUNG),
        (24, AgeBand.YOUNG),
        (25, AgeBand.MIDDLE),
        (49, AgeBand.MIDDLE),
        (50, AgeBand.OLDER),
        (65, AgeBand.OLDER),
    ],
)
def test_age_bands(age: int, band: AgeBand) -> None:
    assert age_band(age) is band


def test_no_band_below_working_age() -> None:
    with pytest.raises(ValueError, match="15"):
        age_band(15)


# --- referral checks -----------------------------------------------------


def test_a_good_referral_passes() -> None:
    assert check_referral(referral(), CONTRACTS) is None


def test_borough_spelling_variants_pass() -> None:
    assert check_referral(referral(borough="  camden "), CONTRACTS) is None
    west = referral(
        contract_id="whp-west", provider_id="prov-whp-west", borough="Hammersmith & Fulham"
    )
    assert check_referral(west, CONTRACTS) is None
    national = referral(
        contract_id="whp-national", provider_id="prov-whp-national", borough="Leeds"
    )
    assert check_referral(national, CONTRACTS) is None


def test_an_invalid_nino_is_rejected_with_a_masked_message() -> None:
    rejection = check_referral(referral(nino="AB123456E"), CONTRACTS)
    assert rejection is not None
    assert rejection.reason is RejectionReason.INVALID_NINO
    assert "nino" in rejection.message
    assert "AB*******" in rejection.message
    assert "123456" not in rejection.message


@pytest.mark.parametrize(
    ("born", "accepted"),
    [
        (date(2008, 5, 1), True),  # 16 on the referral date
        (date(2008, 5, 2), False),  # 16 tomorrow
        (date(1958, 5, 2), True),  # 65, 66 tomorrow
        (date(1958, 5, 1), False),  # 66 on the referral date
    ],
)
def test_working_age_boundaries(born: date, accepted: bool) -> None:
    rejection = check_referral(referral(date_of_birth=born), CONTRACTS)
    if accepted:
        assert rejection is None
    else:
        assert rejection is not None
        assert rejection.reason is RejectionReason.NOT_WORKING_AGE
        assert "date_of_birth" in rejection.message
        assert str(born) not in rejection.message


def test_a_29_february_birthday_turns_16_on_1_march() -> None:
    on_28 = referral(date_of_birth=date(2008, 2, 29), referral_date=date(2024, 2, 28))
    on_29 = referral(date_of_birth=date(2008, 2, 29), referral_date=date(2024, 2, 29))
    assert check_referral(on_29, CONTRACTS) is None
    rejection = check_referral(on_28, CONTRACTS)
    assert rejection is not None
    assert rejection.reason is RejectionReason.NOT_WORKING_AGE


def test_a_29_february_birthday_turns_66_on_1_march_in_a_common_year() -> None:
    # Born 1960-02-29; 2026 has no 29 February, so the 66th birthday is 1 March.
    born = date(1960, 2, 29)
    day_before = referral(date_of_birth=born, referral_date=date(2026, 2, 28))
    birthday = referral(date_of_birth=born, referral_date=date(2026, 3, 1))
    assert check_referral(day_before, CONTRACTS) is None
    rejection = check_referral(birthday, CONTRACTS)
    assert rejection is not None
    assert rejection.reason is RejectionReason.NOT_WORKING_AGE


def test_a_borough_outside_the_contract_sub_region_is_rejected() -> None:
    rejection = check_referral(referral(borough="Croydon"), CONTRACTS)
    assert rejection is not None
    assert rejection.reason is RejectionReason.BOROUGH_OUTSIDE_CONTRACT
    assert "Croydon" in rejection.message


def test_a_london_borough_is_outside_the_national_contract() -> None:
    national = referral(contract_id="whp-national", provider_id="prov-whp-national")
    rejection = check_referral(national, CONTRACTS)
    assert rejection is not None
    assert rejection.reason is RejectionReason.BOROUGH_OUTSIDE_CONTRACT


def test_a_blank_borough_is_outside_the_contract() -> None:
    rejection = check_referral(referral(borough=" - "), CONTRACTS)
    assert rejection is not None
    assert rejection.reason is RejectionReason.BOROUGH_OUTSIDE_CONTRACT


def test_a_provider_not_holding_the_contract_is_rejected() -> None:
    rejection = check_referral(referral(provider_id="prov-whp-west"), CONTRACTS)
    assert rejection is not None
    assert rejection.reason is RejectionReason.PROVIDER_NOT_ON_CONTRACT
    assert "prov-whp-west" in rejection.message


def test_an_unknown_contract_is_provider_not_on_contract() -> None:
    rejection = check_referral(referral(contract_id="whp-mars"), CONTRACTS)
    assert rejection is not None
    assert rejection.reason is RejectionReason.PROVIDER_NOT_ON_CONTRACT
    assert "whp-mars" in rejection.message


def test_an_empty_contract_book_knows_no_contract() -> None:
    rejection = check_referral(referral(), ContractBook(contracts={}))
    assert rejection is not None
    assert rejection.reason is RejectionReason.PROVIDER_NOT_ON_CONTRACT


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"nino": "QQ123456E", "date_of_birth": date(2015, 1, 1), "borough": "Croydon"},
            RejectionReason.INVALID_NINO,
        ),
        (
            {"date_of_birth": date(2015, 1, 1), "borough": "Croydon", "provider_id": "x"},
            RejectionReason.NOT_WORKING_AGE,
        ),
        (
            {"date_of_birth": date(2015, 1, 1), "contract_id": "whp-mars"},
            RejectionReason.NOT_WORKING_AGE,
        ),
        (
            {"contract_id": "whp-mars", "borough": "Croydon"},
            RejectionReason.PROVIDER_NOT_ON_CONTRACT,
        ),
        ({"borough": "Croydon", "provider_id": "x"}, RejectionReason.BOROUGH_OUTSIDE_CONTRACT),
    ],
)
def test_the_first_broken_rule_wins(changes: dict[str, Any], reason: RejectionReason) -> None:
    rejection = check_referral(referral(**changes), CONTRACTS)
    assert rejection is not None
    assert rejection.reason is reason


# --- start checks --------------------------------------------------------


def _contract(contract_id: str = "whp-central") -> Contract:
    contract = CONTRACTS.get(contract_id)
    assert contract is not None
    return contract


@pytest.mark.parametrize(
    ("referred", "started", "reason"),
    [
        (date(2024, 5, 1), date(2024, 5, 1), None),
        (date(2024, 5, 1), date(2024, 4, 30), RejectionReason.START_BEFORE_REFERRAL),
        (date(2018, 1, 1), date(2018, 3, 1), None),  # first day of the start period
        (date(2018, 1, 1), date(2018, 2, 28), RejectionReason.START_OUTSIDE_CONTRACT),
        (date(2024, 9, 1), date(2024, 9, 30), None),  # last day of the start period
        (date(2024, 9, 1), date(2024, 10, 1), RejectionReason.START_OUTSIDE_CONTRACT),
        (date(2024, 10, 5), date(2024, 10, 1), RejectionReason.START_BEFORE_REFERRAL),
    ],
)
def test_start_checks(referred: date, started: date, reason: RejectionReason | None) -> None:
    rejection = check_start(referred, started, _contract())
    assert (rejection.reason if rejection else None) == reason


def test_start_message_names_the_dates() -> None:
    rejection = check_start(date(2024, 9, 1), date(2024, 10, 1), _contract())
    assert rejection is not None
    assert "start_date 2024-10-01" in rejection.message
    assert "2018-03-01 to 2024-09-30" in rejection.message


# --- re-sends ------------------------------------------------------------


def test_a_re_send_under_a_new_event_id_is_the_same_content() -> None:
    resent = referral(
        event_id=UUID("00000000-0000-4000-8000-000000000002"),
        produced_at=datetime(2024, 5, 2, 10, 0, tzinfo=UTC),
    )
    assert same_referral_content(referral(), resent)


def test_nino_and_borough_spelling_do_not_make_a_conflict() -> None:
    assert same_referral_content(referral(), referral(nino="ab 12 34 56 c", borough="CAMDEN"))


@pytest.mark.parametrize(
    "changes",
    [
        {"nino": "AB123456D"},
        {"date_of_birth": date(1990, 6, 16)},
        {"borough": "Islington"},
        {"eligibility_group": EligibilityGroup.EARLY_ACCESS, "eligibility_subgroup": "carers"},
        {"eligibility_subgroup": "carers"},
        {"referral_source": ReferralSource.SELF},
        {"referral_date": date(2024, 5, 2)},
        {"provider_id": "prov-whp-west"},
        {"contract_id": "pioneer-central"},
    ],
)
def test_different_content_conflicts(changes: dict[str, Any]) -> None:
    assert not same_referral_content(referral(), referral(**changes))
