"""What a provider can do about each reason an event of theirs was not accepted."""

from __future__ import annotations

from schemas.common import RejectionReason

WHAT_TO_DO: dict[RejectionReason, str] = {
    RejectionReason.INVALID_SCHEMA: "Correct the record's format and send it again.",
    RejectionReason.INVALID_NINO: "Check the National Insurance number and refer again.",
    RejectionReason.NOT_WORKING_AGE: "Check the date of birth: the person must be 16 to 65.",
    RejectionReason.BOROUGH_OUTSIDE_CONTRACT: "Refer under the contract of the person's borough.",
    RejectionReason.PROVIDER_NOT_ON_CONTRACT: "Refer under a contract your organisation holds.",
    RejectionReason.ALREADY_STARTED: "This person has started elsewhere: no action counts here.",
    RejectionReason.START_BEFORE_REFERRAL: "Correct the start date (on or after the referral).",
    RejectionReason.START_OUTSIDE_CONTRACT: "Check the start date against the contract period.",
    RejectionReason.CONFLICTING_REFERRAL: "Use a new referral id, or resend the original content.",
    RejectionReason.UNKNOWN_PARTICIPANT: "Send the referral and programme start first.",
    RejectionReason.UNKNOWN_PLACEMENT: "Send the job start before its evidence or job end.",
    RejectionReason.UNKNOWN_EVIDENCE: "Check the evidence id: it was never accepted.",
    RejectionReason.PROVIDER_MISMATCH: "Send the record on your own topic, naming your provider.",
    RejectionReason.AFTER_PROGRAMME_END: "Check the leaver date and the job start date.",
    RejectionReason.PLACEMENT_OUTSIDE_WINDOW: "A job must start within 456 days of the start.",
    RejectionReason.INVALID_JOB: "Correct the wage, hours or dates of the job and resend.",
    RejectionReason.INVALID_PERIOD: "Correct the period (at most 35 days, start before end).",
    RejectionReason.INVALID_EVIDENCE: "Correct the evidence (hours, dates, kind) and resend.",
    RejectionReason.DUPLICATE_EVENT_ID: "Give each new record its own event id.",
    RejectionReason.CLAIM_LATE: "Report self-employment evidence within 90 days.",
    RejectionReason.SUPERSEDED: "No action: the other outcome was reached first.",
    RejectionReason.PROCESSING_FAILED: "No action yet: the service team has been alerted.",
}


def what_to_do(reason: str) -> str:
    try:
        return WHAT_TO_DO[RejectionReason(reason)]
    except ValueError:
        return "Contact the service team."
