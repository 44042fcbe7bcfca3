"""The rule checks that need nothing but the event and the reference data (domain.md v2 §10
"Checks before holds"), taken from the services' own pure domain functions."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Final

from outcomes_cli.lines import LineError
from schemas.provider import EvidenceSubmitted, JobStarted, ReferralMade
from services.common.reference import Reference, load_reference
from services.common.rejection import Rejection
from services.intake.domain import check_referral
from services.placement.domain import check_job_alone
from services.sustainment.evidence_rules import check_evidence_alone, evidence_facts

# The field a rule's reason is about, for `line N, field F` (the rule gives a message only).
FIELD_OF_REASON: Final = {
    "invalid_schema": "eligibility_subgroup",
    "invalid_nino": "nino",
    "not_working_age": "date_of_birth",
    "borough_outside_contract": "borough",
    "provider_not_on_contract": "contract_id",
    "invalid_period": "period_end",
}


@cache
def reference(directory: Path) -> Reference:
    """The contracts and rates of ``directory`` (the services' REFERENCE_DIR), read once."""
    return load_reference(directory)


def rule_errors(number: int, event: Any, ref: Reference) -> list[LineError]:
    rejection = _first_rule_broken(event, ref)
    if rejection is None:
        return []
    reason = rejection.reason.value
    return [LineError(number, FIELD_OF_REASON.get(reason, "-"), reason, rejection.message)]


def _first_rule_broken(event: Any, ref: Reference) -> Rejection | None:
    if isinstance(event, ReferralMade):
        return check_referral(event, ref.contracts)
    if isinstance(event, JobStarted):
        assessed = check_job_alone(event, ref.rates)
        return assessed if isinstance(assessed, Rejection) else None
    if isinstance(event, EvidenceSubmitted):
        facts, bad_hours = evidence_facts(event)
        return check_evidence_alone(facts, hours_worked=bad_hours)
    return None
