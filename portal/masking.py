"""Masks for personal numbers: shown wherever the full value is not needed (X3)."""

import re


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三 → *三, 欧阳娜娜 → **娜娜; Latin names keep their first letter: Wang Fang → W*** F***."""
    if not value:
        return ""
    if value.isascii():
        return " ".join(part[0] + "*" * (len(part) - 1) for part in value.split())
    keep = 1 if len(value) <= 3 else 2
    return "*" * (len(value) - keep) + value[-keep:]


def mask_login_name(value: str) -> str:
    """What someone typed to name their account, shown back masked: an ID number or a phone number
    keeps only its ends; a username stays as it is."""
    compact = re.sub(r"[\s\-()+]", "", value or "")
    if len(compact) == 18:
        return mask_id_number(compact)
    if compact.isdigit() and len(compact) >= 11:
        return mask_phone(compact[-11:])
    return value
