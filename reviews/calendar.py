"""Working days in mainland China (R2): public holidays and the weekend days made working days (调休).

The `holidays` package carries each year's official arrangement once the State Council has
published it (each December for the next year). For a year it does not know, its rules would
guess the holidays but not the 调休 swaps, so such a year counts as unknown until staff enter
overrides for it: applications due in an unknown year are flagged, never approved on a guess.
Staff overrides (WorkingDayOverride) win over the library everywhere.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import holidays
from django.utils import timezone
from holidays.countries.china import ChinaStaticHolidays

from reviews.models import WorkingDayOverride


class CalendarUnknown(Exception):
    """The due date falls in a year with no published calendar and no staff overrides."""

    def __init__(self, year: int):
        super().__init__(f"no working-day calendar for {year}")
        self.year = year


@cache
def _china(year: int):
    return holidays.country_holidays("CN", years=year)


def library_knows(year: int) -> bool:
    return year in ChinaStaticHolidays.special_public_holidays


def year_known(year: int) -> bool:
    return library_knows(year) or WorkingDayOverride.objects.filter(date__year=year).exists()


def is_working_day(day: date) -> bool:
    override = WorkingDayOverride.objects.filter(date=day).first()
    if override is not None:
        return override.is_working_day
    if not year_known(day.year):
        raise CalendarUnknown(day.year)
    if not library_knows(day.year):  # staff entered overrides for the year: plain weekends otherwise
        return day.weekday() < 5
    return _china(day.year).is_working_day(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start`, at the same time of day (in Beijing time).

    A submission on a day off counts from the next working day: made on a Saturday, with one
    day's wait it is due on Monday (or the first working day after it) at the same time.
    """
    local = timezone.localtime(start)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return local.replace(year=day.year, month=day.month, day=day.day)
