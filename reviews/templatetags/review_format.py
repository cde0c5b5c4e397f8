"""Template filters for the review pages: labels for problem and reason codes, measurements in words."""

from django import template

from reviews import presenters

register = template.Library()


@register.filter
def problem_label(code: str) -> str:
    return presenters.problem_label(code)


@register.filter
def reason_label(code: str) -> str:
    return presenters.reason_label(code)


@register.filter
def measurements(problem: dict) -> list[str]:
    return presenters.measurements(problem)
