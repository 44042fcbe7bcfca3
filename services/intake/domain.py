"""Intake rules (domain.md §4, §9): NINOs, ages, referrals and programme starts.

Pure functions: no I/O, no clock. A rule failure is a :class:`Rejection`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from schemas.common import AgeBand, RejectionReason
from schemas.provider import ReferralMade
from services.common.boroughs import locate_borough, normalise_place_name
from services.common.reference import Contract, ContractBook
from services.common.rejection import Rejection

_NINO_SHAPE = re.compile(r"[A-Z]{2}[0-9]{6}[A-D]")
_FORBIDDEN_PREFIX_LETTERS = frozenset("DFIQUV")
_FORBIDDEN_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_EVENT_ENVELOPE = frozenset({"event_id", "produced_at"})

WORKING_AGE_FROM = 16
WORKING_AGE_BELOW = 66


def normalise_nino(raw: str) -> str | None:
    """The NINO in upper case without whitespace, or None if it is not valid.

    Valid: two prefix letters, six digits, suffix A-D; neither prefix letter is D, F,
    I, Q, U or V; the second is not O; the prefix is not BG, GB, KN, NK, NT, TN, ZZ.
    Any whitespace (not only spaces) is ignored.
    """
    nino = "".join(raw.split()).upper()
    if not _NINO_SHAPE.fullmatch(nino):
        return None
    prefix = nino[:2]
    if _FORBIDDEN_PREFIX_LETTERS.intersection(prefix) or prefix[1] == "O":
        return None
    if prefix in _FORBIDDEN_PREFIXES:
        return None
    return nino


def mask_nino(raw: str) -> str:
    """A NINO safe to show: only its first two characters, the rest as asterisks."""
    compact = "".join(raw.split())
    shown = 2 if len(compact) > 4 else 0
    return compact[:shown] + "*" * (len(compact) - shown)


def participant_id_for(normalised_nino: str, key: bytes) -> str:
    """The pseudonymous participant id: hex HMAC-SHA256 of the normalised NINO."""
    if not key:
        raise ValueError("the participant id key must not be empty")
    return hmac.new(key, normalised_nino.encode("utf-8"), hashlib.sha256).hexdigest()


def age_on(date_of_birth: date, on: date) -> int:
    """Age in completed years on ``on``; a 29 February birthday counts from 1 March."""
    birthday_not_yet = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(birthday_not_yet)


def age_band(age: int) -> AgeBand:
    """The band of a working-age person: 16-24, 25-49, 50+."""
    if age < WORKING_AGE_FROM:
        raise ValueError(f"age {age} is below working age")
    if age < 25:
        return AgeBand.YOUNG
    if age < 50:
        return AgeBand.MIDDLE
    return AgeBand.OLDER


def check_referral(referral: ReferralMade, contracts: ContractBook) -> Rejection | None:
    """The first rule a referral breaks, in domain.md order, or None.

    Order: ``invalid_nino``, ``not_working_age`` (16 <= age < 66 on the referral
    date), then the contract rules. An unknown contract is ``provider_not_on_contract``
    and is reported *before* the borough rule, because without a contract there is
    no sub-region to check the borough against. For a known contract:
    ``borough_outside_contract``, then ``provider_not_on_contract``. A blank borough
    (nothing but spaces and hyphens) names no place: ``borough_outside_contract``.

    ``already_started`` and ``conflicting_referral`` need stored state; the caller
    checks them (see :func:`same_referral_content`).
    """
    if normalise_nino(referral.nino) is None:
        return Rejection(
            RejectionReason.INVALID_NINO,
            f"nino {mask_nino(referral.nino)!r} is not a valid National Insurance number",
        )
    age = age_on(referral.date_of_birth, referral.referral_date)
    if not WORKING_AGE_FROM <= age < WORKING_AGE_BELOW:
        return Rejection(
            RejectionReason.NOT_WORKING_AGE,
            f"date_of_birth gives age {age} on referral_date {referral.referral_date}; "
            f"working age is {WORKING_AGE_FROM} to {WORKING_AGE_BELOW - 1}",
        )
    contract = contracts.get(referral.contract_id)
    if contract is None:
        return Rejection(
            RejectionReason.PROVIDER_NOT_ON_CONTRACT,
            f"contract_id {referral.contract_id!r} is not a known contract",
        )
    borough_rejection = _check_borough(referral.borough, contract)
    if borough_rejection is not None:
        return borough_rejection
    if referral.provider_id != contract.provider_id:
        return Rejection(
            RejectionReason.PROVIDER_NOT_ON_CONTRACT,
            f"provider_id {referral.provider_id!r} does not hold contract {contract.contract_id!r}",
        )
    return None


def _check_borough(borough: str, contract: Contract) -> Rejection | None:
    if not normalise_place_name(borough):
        return Rejection(
            RejectionReason.BOROUGH_OUTSIDE_CONTRACT, f"borough {borough!r} names no place"
        )
    sub_region, name = locate_borough(borough)
    if sub_region != contract.sub_region:
        return Rejection(
            RejectionReason.BOROUGH_OUTSIDE_CONTRACT,
            f"borough {name!r} is in sub-region {sub_region}, but contract "
            f"{contract.contract_id!r} covers {contract.sub_region}",
        )
    return None


def check_start(referral_date: date, start_date: date, contract: Contract) -> Rejection | None:
    """``start_before_referral``, then ``start_outside_contract`` (inclusive period)."""
    if start_date < referral_date:
        return Rejection(
            RejectionReason.START_BEFORE_REFERRAL,
            f"start_date {start_date} is before referral_date {referral_date}",
        )
    if not contract.starts_from <= start_date <= contract.starts_until:
        return Rejection(
            RejectionReason.START_OUTSIDE_CONTRACT,
            f"start_date {start_date} is outside contract {contract.contract_id!r} start "
            f"period {contract.starts_from} to {contract.starts_until}",
        )
    return None


def same_referral_content(a: ReferralMade, b: ReferralMade) -> bool:
    """True for a re-send: every field equal except ``event_id`` and ``produced_at``.

    The NINO and the borough are compared as the rule book reads them (NINO: spaces
    ignored, case folded; borough: the §9 normalisation), so "ab 12 34 56 c" and
    "AB123456C" are the same content. Everything else is compared exactly.
    """
    return _referral_content(a) == _referral_content(b)


def _referral_content(referral: ReferralMade) -> dict[str, object]:
    content = referral.model_dump(exclude=set(_EVENT_ENVELOPE))
    content["nino"] = normalise_nino(referral.nino) or referral.nino
    content["borough"] = normalise_place_name(referral.borough)
    return content
