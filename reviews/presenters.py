"""What people read about applications and photos: labels for stored codes, timeline notes in the
reader's language, and a photo check's measurements in words. Stored values never reach a page."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from portal.dates import local_time

# Short names of the photo problems, for staff lists and filters (citizens read the full messages).
PROBLEM_LABELS = {
    "unreadable": gettext_lazy("Unreadable file"),
    "file_too_large": gettext_lazy("File too large"),
    "too_small": gettext_lazy("Too few pixels"),
    "wrong_aspect": gettext_lazy("Wrong proportions"),
    "grayscale": gettext_lazy("Not in colour"),
    "background_not_white": gettext_lazy("Background not white"),
    "uneven_lighting": gettext_lazy("Uneven lighting"),
    "too_dark": gettext_lazy("Too dark"),
    "too_bright": gettext_lazy("Too bright"),
    "blurry": gettext_lazy("Blurred"),
    "no_face": gettext_lazy("No face"),
    "multiple_faces": gettext_lazy("More than one face"),
    "face_too_small": gettext_lazy("Head too small"),
    "face_too_large": gettext_lazy("Head too large"),
    "face_not_centred": gettext_lazy("Head not centred"),
    "head_tilted": gettext_lazy("Head tilted"),
    "eyes_not_visible": gettext_lazy("Eyes closed or covered"),
    "too_old": gettext_lazy("Photo too old"),
    "edited": gettext_lazy("Edited in an editor"),
    "head_covering": gettext_lazy("Hat or headwear"),
    "face_occluded": gettext_lazy("Lower face covered"),
    "shoulders_not_level": gettext_lazy("Shoulders not level"),
    "light_clothing": gettext_lazy("Light clothes"),
    "hands_visible": gettext_lazy("Hand in the picture"),
}
# Codes measured from colour and outline rather than recognised: staff are told it is a hint (the
# citizen's message says what to do, not how sure the checker is).
HINT_CODES = {"head_covering", "face_occluded", "shoulders_not_level", "light_clothing", "hands_visible"}

# Why a reviewer rejected a photo (the reviewer's choice).
REJECT_REASONS = {
    "background": gettext_lazy("Background not plain white"),
    "face": gettext_lazy("Face not clearly visible"),
    "quality": gettext_lazy("Photo blurred, dark or badly lit"),
    "not_the_person": gettext_lazy("Not the person on record"),
    "other": gettext_lazy("Other (see the note)"),
}

# Why an application was rejected or stopped (Application.reason).
REASON_LABELS = {
    "no_licence_record": gettext_lazy("No licence record matches the applicant any more."),
    "licence_changed": gettext_lazy("The licence record changed after the application (e.g. a new validity date)."),
    "licence_not_eligible": gettext_lazy("The licence's status does not allow an e-licence."),
    "face_verification_failed": gettext_lazy("The face verification did not succeed."),
    "elicence_already_active": gettext_lazy("An e-licence is already active for this licence."),
    "photo_required": gettext_lazy("No approved photo."),
    "visit_counter": gettext_lazy("Three photos were rejected: please visit a counter."),
}

# Timeline notes, stored as a key and arguments and written out in the reader's language.
NOTES = {
    "photo_needed": gettext_noop("No portrait on record: please upload a photo."),
    "photo_passed": gettext_noop("The photo passed the checks."),
    "photo_flagged": gettext_noop("A reviewer will look at your photo: %(problems)s"),
    "photo_approved": gettext_noop("A reviewer approved your photo."),
    "photo_rejected": gettext_noop("Photo rejected: %(reason)s. Please take another."),
    "visit_counter": gettext_noop("Three photos were rejected: please visit a counter."),
    "rejected": gettext_noop("Not approved: %(reason)s"),
    "ready": gettext_noop("Your e-licence is ready."),
    "calendar_known": gettext_noop("The working-day calendar is known: due %(at)s."),
}


def problem_label(code: str) -> str:
    return str(PROBLEM_LABELS.get(code, _("Other problem")))


def reason_label(code: str) -> str:
    label = REASON_LABELS.get(code) or REJECT_REASONS.get(code)
    return str(label) if label else _("Other reason")


def note_text(key: str, args: dict | None) -> str:
    """A timeline note in the active language."""
    if key not in NOTES:
        return ""
    args = dict(args or {})
    if "problems" in args:
        args["problems"] = _(", ").join(problem_label(code) for code in args["problems"])
    if "reason" in args:
        args["reason"] = reason_label(args["reason"])
    if "at" in args:
        args["at"] = local_time(args["at"])
    return _(NOTES[key]) % args


def _number(value, places: int = 2) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        rounded = round(float(value), places)
        return number_format(int(rounded) if rounded == int(rounded) else rounded, use_l10n=True)
    return str(value)


MEASURE_NAMES = {
    "lightness": gettext_lazy("background lightness"),
    "chroma": gettext_lazy("background colour"),
    "spread": gettext_lazy("background unevenness"),
    "offset": gettext_lazy("distance from the centre"),
    "top_margin": gettext_lazy("space above the head"),
    "openness": gettext_lazy("eye openness"),
    "darkness": gettext_lazy("eye contrast"),
    "crown_ratio": gettext_lazy("head height above the brows / face height"),
    "crown_texture": gettext_lazy("fine detail on top of the head"),
}
# Scalar measurements: (what was measured, does the limit bound it from below or above).
SCALAR_MEASURES = {
    "file_too_large": (gettext_lazy("size in bytes"), "max"),
    "grayscale": (gettext_lazy("colour spread"), "min"),
    "uneven_lighting": (gettext_lazy("darker side / lighter side"), "min"),
    "too_dark": (gettext_lazy("face brightness"), "min"),
    "too_bright": (gettext_lazy("face brightness"), "max"),
    "blurry": (gettext_lazy("sharpness"), "min"),
    "no_face": (gettext_lazy("faces found"), "min"),
    "multiple_faces": (gettext_lazy("faces found"), "max"),
    "head_tilted": (gettext_lazy("tilt in degrees"), "max"),
    "too_old": (gettext_lazy("age in days"), "max"),
    "wrong_aspect": (gettext_lazy("width / height"), "range"),
    "face_too_small": (gettext_lazy("head height / photo height"), "range"),
    "face_too_large": (gettext_lazy("head height / photo height"), "range"),
    "face_occluded": (gettext_lazy("share of skin between nose and chin"), "min"),
    "shoulders_not_level": (gettext_lazy("shoulder slope in degrees"), "max"),
    "light_clothing": (gettext_lazy("clothes lightness (0–100)"), "max"),
    "hands_visible": (gettext_lazy("skin beside the face / face area"), "max"),
}


def _bound(kind: str, limit) -> str:
    if kind == "range" and isinstance(limit, list | tuple) and len(limit) == 2:
        return _("between %(low)s and %(high)s") % {"low": _number(limit[0]), "high": _number(limit[1])}
    if kind == "min":
        return _("at least %(limit)s") % {"limit": _number(limit)}
    return _("at most %(limit)s") % {"limit": _number(limit)}


def _measured(name, value, bound: str) -> str:
    return _("%(measure)s %(value)s, %(bound)s") % {"measure": name, "value": _number(value), "bound": bound}


def measurements(problem: dict) -> list[str]:
    """A photo problem's measured values against their limits, in words: ["background lightness 61,
    at least 89", …], and for the codes that are hints, a line saying so (staff pages only)."""
    lines = _measurements(problem)
    if problem.get("code") in HINT_CODES:
        lines.append(_("Measured from colours and outlines: a hint, not a certainty. Look at the photo."))
    return lines


def _measurements(problem: dict) -> list[str]:
    code, value, limit = problem.get("code"), problem.get("value"), problem.get("limit")
    if code == "too_small" and isinstance(value, list):
        return [
            _("%(width)s × %(height)s pixels, at least %(min_width)s × %(min_height)s")
            % {"width": value[0], "height": value[1], "min_width": limit[0], "min_height": limit[1]}
        ]
    if code == "edited":
        return [_("made with: %(software)s") % {"software": value}]
    if isinstance(value, dict):
        lines = []
        limits = limit if isinstance(limit, dict) else {}
        for key, measured in value.items():
            name = MEASURE_NAMES.get(key)
            if name is None or measured is None:  # not measured on this photo
                continue
            if f"{key}_min" in limits:
                lines.append(_measured(name, measured, _bound("min", limits[f"{key}_min"])))
            elif f"{key}_max" in limits:
                lines.append(_measured(name, measured, _bound("max", limits[f"{key}_max"])))
            else:
                lines.append(f"{name} {_number(measured)}")
        return lines
    if code in SCALAR_MEASURES and value is not None:
        name, kind = SCALAR_MEASURES[code]
        return [_measured(name, value, _bound(kind, limit))]
    return []


def problems_count(n: int) -> str:
    return ngettext("%(n)d problem", "%(n)d problems", n) % {"n": n}
