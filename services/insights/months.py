"""Calendar months: start-month cohorts and whole months since start (domain.md §11)."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_of(day: date) -> date:
    """The start month of ``day``, as its first day (a cohort's key)."""
    return day.replace(day=1)


def last_day_of(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def reached_within(start: date, reached_on: date | None, months: int) -> bool:
    """Reached within ``months`` whole months of the start: ``reached < start + months``."""
    return reached_on is not None and reached_on < add_months(start, months)


def cohort_age(month: date, today: date) -> int:
    """How many whole months every starter of the cohort ``month`` has had by ``today``:
    the largest m with ``last day of the month + m months <= today`` (-1 if none has
    been seen whole: today is inside the month)."""
    last = last_day_of(month)
    if today < last:
        return -1
    months = (today.year - last.year) * 12 + today.month - last.month
    while add_months(last, months) > today:
        months -= 1
    return months


def month_label(month: date) -> str:
    """``2024-03``."""
    return f"{month.year:04d}-{month.month:02d}"
