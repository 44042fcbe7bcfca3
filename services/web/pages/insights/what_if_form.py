"""The what-if form: a copy of a contract as typed (defaults: the contract as it is),
read and bounded into a ``ContractEdit``, or the errors to show beside the fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from schemas.common import EligibilityGroup, MilestoneKind
from services.common.reference import Contract
from services.insights.whatif import MAX_UPLIFT_PERCENT, ContractEdit, edited
from services.web.pages.insights.forms import MAX_FIELD, hundredths, pence


@dataclass
class EditForm:
    contract: Contract
    prices: dict[MilestoneKind, str] = field(default_factory=dict)
    groups: dict[EligibilityGroup, dict[MilestoneKind, str]] = field(default_factory=dict)
    uplift: str = ""
    hours: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(field id, message) in the order of the form."""


def pounds(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def hours_text(value: int) -> str:
    whole, part = divmod(value, 100)
    return str(whole) if part == 0 else f"{whole}.{part:02d}".rstrip("0")


def _typed(query: Mapping[str, str], name: str, default: str) -> str:
    return query.get(name, default)[:MAX_FIELD].strip()


def _prices(query: Mapping[str, str], form: EditForm) -> dict[MilestoneKind, int]:
    prices: dict[MilestoneKind, int] = {}
    for kind in MilestoneKind:
        name = f"price-{kind.value}"
        form.prices[kind] = text = _typed(query, name, pounds(form.contract.prices.get(kind, 0)))
        value = pence(text)
        if value is None:
            form.errors.append((name, f"Enter the price of {kind.value} in pounds"))
        else:
            prices[kind] = value
    return prices


def _group_prices(
    query: Mapping[str, str], form: EditForm
) -> dict[EligibilityGroup, dict[MilestoneKind, int]]:
    """Overrides per group; an empty field is no override."""
    groups: dict[EligibilityGroup, dict[MilestoneKind, int]] = {}
    for group in EligibilityGroup:
        current = form.contract.group_prices.get(group, {})
        form.groups[group] = {}
        for kind in MilestoneKind:
            name = f"group-{group.value}-{kind.value}"
            default = pounds(current[kind]) if kind in current else ""
            form.groups[group][kind] = text = _typed(query, name, default)
            value = pence(text) if text else None
            if text and value is None:
                message = f"Enter the {group.value} price of {kind.value} in pounds, or nothing"
                form.errors.append((name, message))
            elif value is not None:
                groups.setdefault(group, {})[kind] = value
    return groups


def _uplift(query: Mapping[str, str], form: EditForm) -> int | None:
    form.uplift = _typed(query, "llw-uplift", str(form.contract.llw_uplift_percent))
    if form.uplift.isdigit() and int(form.uplift) <= MAX_UPLIFT_PERCENT:
        return int(form.uplift)
    message = (
        f"Enter the London Living Wage uplift as a whole percent from 0 to {MAX_UPLIFT_PERCENT}"
    )
    form.errors.append(("llw-uplift", message))
    return None


def _weekly_hours(query: Mapping[str, str], form: EditForm) -> int | None:
    form.hours = _typed(
        query, "weekly-hours-min", hours_text(form.contract.weekly_hours_min_hundredths)
    )
    value = hundredths(form.hours)
    if value is None:
        message = (
            "Enter the weekly hours of an in-work week: above 0, at most 100, 2 decimal places"
        )
        form.errors.append(("weekly-hours-min", message))
    return value


def read_form(query: Mapping[str, str], contract: Contract) -> tuple[EditForm, ContractEdit | None]:
    """The form as typed and the edit, if every field is valid."""
    form = EditForm(contract)
    edit = ContractEdit(
        _prices(query, form),
        _group_prices(query, form),
        _uplift(query, form),
        _weekly_hours(query, form),
    )
    if form.errors:
        return form, None
    try:
        edited(contract, edit)
    except ValueError as refused:
        form.errors.append(("price-earnings_outcome", str(refused)))
        return form, None
    return form, edit
