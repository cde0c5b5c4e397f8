"""Template filters for what people read: `{{ value|local_time }}` (Beijing time, one format)."""

from django import template

from portal import dates

register = template.Library()


@register.filter
def local_time(value) -> str:
    return dates.local_time(value)
