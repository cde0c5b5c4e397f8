"""The ID-photo rules (photo-rules.md): bytes in, every problem that applies out, with measurements.

Pure: no database, no settings beyond the upload limits passed in. The checker flags, it never
decides alone: a reviewer sees the problems with their measured values and limits. Faces are
found and measured by the face engine (`portal.faces`); this module holds the rules.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from PIL import Image

from portal import faces
from portal.faces import Face, json_safe
from portal.images import decode_image

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000

# Limits. Tuned on the tuning half of the evaluation set (docs/photo-checks.md); values are in the
# units of the metric they apply to.
LIMITS = {
    "min_width": 260,
    "min_height": 378,
    "aspect_min": 2 / 3,
    "aspect_max": 3 / 4,
    "grayscale_spread": 4.0,  # mean max channel difference, 0–255
    "background_min_lightness": 89.0,  # L* of the border band
    "background_max_chroma": 12.0,
    "background_max_spread": 18.0,  # standard deviation of L* in the band
    "uneven_ratio": 0.78,  # darker face half / lighter face half
    "dark_mean": 85.0,  # face luminance mean, 0–255
    "bright_mean": 220.0,
    "clip_share": 0.25,  # share of face pixels at 0–15 or 245–255
    "blur_variance": 20.0,  # variance of the Laplacian on the face resized to 200 px wide
    "head_min": 0.50,  # head height / image height
    "head_max": 0.85,
    "centre_offset": 0.10,  # |face centre − midline| / width
    "top_margin": 0.01,  # head top / image height
    "roll_degrees": 8.0,
    "eye_openness": faces.EYE_OPENNESS_MIN,
    "eye_darkness": faces.EYE_DARKNESS_MIN,
    "max_age_days": 183,
    # The seed's dress and pose rules (tuned like the rest; hints, see the staff notes).
    "lower_face_skin": 0.25,  # share of skin-coloured pixels between the nose and the chin
    "crown_ratio_min": 0.25,  # (brows − top of the outline) / (chin − brows): a skull is taller
    "crown_texture": 3.0,  # mean fine detail (L*, 1–4 px band) on top of the head: hair has strands
    "shoulder_degrees": 10.0,  # slope of the line between the two shoulders' outlines
    "clothing_lightness": 60.0,  # median L* of the outer garment, 0–100
    "hand_skin": 0.06,  # skin-coloured area outside the face and neck / face area
}

EDITORS = (
    "photoshop",
    "adobe",
    "lightroom",
    "gimp",
    "pixelmator",
    "affinity",
    "snapseed",
    "picsart",
    "facetune",
    "meitu",
    "美图",
    "醒图",
    "beautycam",
    "canva",
    "paint.net",
    "fotor",
    "b612",
    "snow",
)

MESSAGES = {
    "unreadable": _("Unreadable: not a JPEG or PNG photo, or the file is damaged."),
    "file_too_large": _("The file is too large."),
    "too_small": _("The photo is too small: at least 260×378 pixels, 520 wide or more preferred."),
    "wrong_aspect": _("Wrong proportions: width to height must be between 2:3 and 3:4."),
    "grayscale": _("Please use a colour photo."),
    "background_not_white": _("The background is not plain white."),
    "uneven_lighting": _("Uneven lighting: one side of the face is much darker."),
    "too_dark": _("The photo is too dark."),
    "too_bright": _("The photo is too bright or over-exposed."),
    "blurry": _("The photo is blurred: please focus and retake it."),
    "no_face": _("No face was found."),
    "multiple_faces": _("There is more than one face in the photo."),
    "face_too_small": _("The head is too small in the photo: come closer."),
    "face_too_large": _("The head is too large in the photo: move back."),
    "face_not_centred": _("The head is not centred, or too close to the top edge."),
    "head_tilted": _("The head is tilted: keep your eyes level."),
    "eyes_not_visible": _("The eyes are closed or covered (e.g. by sunglasses)."),
    "too_old": _("The photo was taken more than 6 months ago."),
    "edited": _("The photo may have been edited or retouched."),
    "head_covering": _("Please take off any hat, cap or other headwear."),
    "face_occluded": _("The lower face is covered (e.g. by a mask or a scarf)."),
    "shoulders_not_level": _("The shoulders are not level: sit upright, facing the camera."),
    "light_clothing": _("Please wear dark clothes: light clothes blend into the white background."),
    "hands_visible": _("A hand is in the picture: no gestures, keep your hands out of the photo."),
}
LANGUAGES = ("zh-hans", "en")

CODES = tuple(MESSAGES)


@dataclass(frozen=True)
class Problem:
    code: str
    value: object = None
    limit: object = None

    @property
    def messages(self) -> dict:
        """The message in each language of the portal (stored with the photo, shown in the reader's)."""
        return {language: self.message(language) for language in LANGUAGES}

    def message(self, language: str = "zh-hans") -> str:
        with translation.override("en" if language.startswith("en") else "zh-hans"):
            return str(MESSAGES[self.code])

    def as_dict(self, language: str | None = None) -> dict:
        message = self.message(language) if language else self.messages
        return {"code": self.code, "message": message, "value": self.value, "limit": self.limit}


@dataclass
class PhotoCheckResult:
    problems: list[Problem] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    @property
    def clean(self) -> bool:
        return not self.problems

    def add(self, code: str, value=None, limit=None) -> None:
        self.problems.append(Problem(code, json_safe(value), json_safe(limit)))

    def as_dict(self, language: str | None = None) -> dict:
        return {
            "problems": [p.as_dict(language) for p in self.problems],
            "metrics": {k: json_safe(v) for k, v in self.metrics.items()},
        }


# --- measures of the photo around the face ------------------------------------------------------
# OpenCV's 8-bit Lab holds L × 255/100 and a, b + 128: this matrix (with offsets) gives L* 0–100, a*, b*.
_LAB_FROM_8BIT = np.array([[100 / 255, 0, 0, 0], [0, 1, 0, -128], [0, 0, 1, -128]], dtype=np.float32)


def _lab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    # One cv2.transform instead of numpy's strided per-channel arithmetic: the same values, a third of the time.
    return cv2.transform(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32), _LAB_FROM_8BIT)


def _head_top(lab: np.ndarray, face: Face, background: np.ndarray | None) -> float:
    """The first row from the top where the head's column band stops looking like background."""
    left, _top, right, _bottom = face.box
    estimate_from_box = face.box[1] - 0.55 * face.height  # dlib boxes start near the eyebrows
    band = lab[: int(face.points[27, 1]), max(left, 0) : max(right, left + 1)]
    if band.size == 0 or background is None:
        return float(max(estimate_from_box, 0))
    differs = _lab_distance_above(band, background, 18)
    rows = np.where(differs.mean(axis=1) > 0.25)[0]
    if len(rows) == 0:
        return float(max(estimate_from_box, 0))
    return float(max(rows[0], estimate_from_box - 0.35 * face.height, 0))


def _lab_distance_above(lab: np.ndarray, colour: np.ndarray, limit: float) -> np.ndarray:
    """Where a Lab image is farther than `limit` (ΔE) from one colour: OpenCV's per-pixel ops, which
    numpy's broadcasting over three interleaved channels took three times as long for."""
    import cv2

    difference = cv2.subtract(np.ascontiguousarray(lab), (*(float(v) for v in colour), 0.0))
    squared = cv2.transform(cv2.multiply(difference, difference), np.ones((1, 3), np.float32))  # one channel
    return squared > limit * limit


# --- the checker -----------------------------------------------------------------------------------
def check_photo(
    data: bytes,
    *,
    now: datetime | None = None,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    metadata: dict | None = None,
) -> PhotoCheckResult:
    """Run every rule of photo-rules.md on one file. Never raises for bad input.

    `metadata` is the original upload's EXIF findings (`SafeImage.exif`) where `data` is the stored
    re-encode, which carries none: the editor and age rules judge the original."""

    started = time.perf_counter()
    result = PhotoCheckResult(metrics={"file_bytes": len(data)})
    if len(data) > max_bytes:
        result.add("file_too_large", len(data), max_bytes)
        return result
    try:
        safe = decode_image(data, max_pixels=max_pixels, reencode=False)
    except Exception:  # DomainError("unreadable") and anything unexpected from a hostile file
        result.add("unreadable")
        return result
    image = safe.image
    width, height = image.size
    metrics = result.metrics
    metrics.update(width=width, height=height, format=safe.source_format, mode=safe.source_mode)
    metrics["decode_ms"] = (time.perf_counter() - started) * 1000

    # Size and proportions.
    if width < LIMITS["min_width"] or height < LIMITS["min_height"]:
        result.add("too_small", [width, height], [LIMITS["min_width"], LIMITS["min_height"]])
    aspect = width / height
    metrics["aspect"] = aspect
    if not LIMITS["aspect_min"] - 0.01 <= aspect <= LIMITS["aspect_max"] + 0.01:
        result.add("wrong_aspect", aspect, [LIMITS["aspect_min"], LIMITS["aspect_max"]])

    # Analysis copy.
    rgb = faces.analysis_copy(image)
    ah, aw = rgb.shape[:2]
    gray = faces.grey(rgb)
    lab = _lab(rgb)

    # Colour.
    import cv2

    red, green, blue = cv2.split(rgb)  # OpenCV's saturating uint8 arithmetic: exact, and without int16 copies
    spread = cv2.mean(cv2.max(cv2.max(cv2.absdiff(red, green), cv2.absdiff(green, blue)), cv2.absdiff(red, blue)))[0]
    metrics["colour_spread"] = spread
    if spread < LIMITS["grayscale_spread"]:
        result.add("grayscale", spread, LIMITS["grayscale_spread"])

    # Faces.
    found = faces.find_faces(rgb, gray)
    metrics["faces"] = len(found)
    face = found[0] if found else None
    # No face found, but two eyes: perhaps a face whose lower half is covered (judged below).
    eyes = faces.find_eye_pair(gray) if face is None else None

    # Background: the top band and the side bands beside the head, minus an ellipse around the head.
    # All of it lies in the upper half: the mask covers those rows only (the same pixels, in order).
    rows = max(int(0.5 * ah), 1)
    band = np.zeros((rows, aw), dtype=bool)
    band[: max(int(0.06 * ah), 1), :] = True
    side = max(int(0.08 * aw), 1)
    band[: int(0.5 * ah), :side] = True
    band[: int(0.5 * ah), aw - side :] = True
    nominal = int(band.sum())
    head_box = face.box if face is not None else _box_from_eyes(*eyes) if eyes is not None else None
    if head_box is not None:
        left, top, right, bottom = head_box
        yy, xx = np.ogrid[:rows, :aw]
        cx, cy = (left + right) / 2, top + 0.3 * (bottom - top)
        rx, ry = 0.9 * (right - left), 1.25 * (bottom - top)
        band &= ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 > 1
    visible = float(band.sum()) / max(nominal, 1)
    metrics["background_visible"] = visible
    if visible < 0.15:  # the head fills the frame: too little background to judge; use the corners
        corner = max(int(0.04 * min(ah, aw)), 2)
        border = np.concatenate([lab[:corner, :corner].reshape(-1, 3), lab[:corner, -corner:].reshape(-1, 3)])
    else:
        border = lab[:rows][band]
    background = border.mean(axis=0)
    lightness = float(background[0])
    chroma = float(np.hypot(border[:, 1], border[:, 2]).mean())
    lightness_spread = float(border[:, 0].std())
    metrics.update(background_lightness=lightness, background_chroma=chroma, background_spread=lightness_spread)
    if visible >= 0.15 and (
        lightness < LIMITS["background_min_lightness"]
        or chroma > LIMITS["background_max_chroma"]
        or lightness_spread > LIMITS["background_max_spread"]
    ):
        result.add(
            "background_not_white",
            {"lightness": lightness, "chroma": chroma, "spread": lightness_spread},
            {
                "lightness_min": LIMITS["background_min_lightness"],
                "chroma_max": LIMITS["background_max_chroma"],
                "spread_max": LIMITS["background_max_spread"],
            },
        )
    # A busy backdrop hides where the hair ends: then the head top comes from the face box alone.
    background_plain = lightness_spread <= LIMITS["background_max_spread"]

    if face is None:
        # A covered face is reported as covered; otherwise there is none, and the frame's exposure says why.
        if not (eyes is not None and _check_covered_face(result, eyes, lab)):
            result.add("no_face", 0, 1)
            _check_exposure_without_face(result, gray)
    else:
        if len(found) > 1:
            result.add("multiple_faces", len(found), 1)
        _check_face(result, face, rgb, gray, lab, background if background_plain else None)
        _check_dress_and_pose(result, found, lab, background, background_plain and lightness >= 80)

    # Metadata hints.
    _check_metadata(result, safe.exif if metadata is None else metadata, now or datetime.now(UTC))
    metrics["total_ms"] = (time.perf_counter() - started) * 1000
    return result


def _forehead(lab: np.ndarray, left: np.ndarray, right: np.ndarray, span: float) -> np.ndarray:
    """The forehead above the brows, between the eyes' centres (`span` apart), clipped to the image."""
    eye_y = float((left[1] + right[1]) / 2)
    return faces.region(lab, left[0] + 0.2 * span, eye_y - 0.7 * span, right[0] - 0.2 * span, eye_y - 0.3 * span)


def _box_from_eyes(left: np.ndarray, right: np.ndarray) -> tuple[float, float, float, float]:
    """Where the face detector's box would be, from the two eyes (box ≈ 2.2 eye spans square)."""
    span = float(right[0] - left[0])
    centre_x, eye_y = float((left[0] + right[0]) / 2), float((left[1] + right[1]) / 2)
    return centre_x - 1.1 * span, eye_y - 0.6 * span, centre_x + 1.1 * span, eye_y + 1.6 * span


def _check_covered_face(result: PhotoCheckResult, eyes, lab: np.ndarray) -> bool:
    """No face found, but two eyes are: is the face below them covered? True when it is reported so."""
    left, right = eyes
    span = float(right[0] - left[0])
    eye_y = float((left[1] + right[1]) / 2)
    reference = _forehead(lab, left, right, span)
    below = faces.region(lab, left[0] - 0.1 * span, eye_y + 0.6 * span, right[0] + 0.1 * span, eye_y + 1.5 * span)
    if not reference.size or not below.size:
        return False
    skin = np.median(reference.reshape(-1, 3), axis=0)
    result.metrics["forehead_lightness"] = float(skin[0])
    if not 25 <= skin[0] <= 92:  # a black or washed-out face: its colours say nothing
        return False
    share = float(_skin_like(below, skin).mean())
    result.metrics.update(eye_pair=[json_safe(list(left)), json_safe(list(right))], lower_face_skin=share)
    if share >= LIMITS["lower_face_skin"]:
        return False
    result.add("face_occluded", share, LIMITS["lower_face_skin"])
    return True


def _check_exposure_without_face(result: PhotoCheckResult, gray: np.ndarray) -> None:
    """A washed-out or black photo hides the face from the detector: judge the centre of the frame."""
    h, w = gray.shape
    centre = gray[int(0.2 * h) : int(0.8 * h), int(0.25 * w) : int(0.75 * w)]
    mean, spread = float(centre.mean()), float(centre.std())
    result.metrics.update(centre_luminance=mean, centre_spread=spread)
    if spread < 12:
        return  # a plain surface (an empty wall) is not an exposure problem
    if mean < LIMITS["dark_mean"] * 0.7:
        result.add("too_dark", mean, LIMITS["dark_mean"])
    elif mean > LIMITS["bright_mean"] - 20 and float((centre >= 245).mean()) > 0.4:
        result.add("too_bright", mean, LIMITS["bright_mean"])


def _check_face(result: PhotoCheckResult, face: Face, rgb, gray, lab, background: np.ndarray | None) -> None:
    import cv2

    metrics = result.metrics
    ah, aw = gray.shape
    points = face.points
    scale = metrics["height"] / ah
    metrics["face_box"] = [round(v * scale) for v in face.box]
    metrics["face_score"] = face.score

    # Geometry: head height, centring, margin, roll.
    chin = float(points[8, 1])
    head_top = _head_top(lab, face, background)
    head_ratio = (chin - head_top) / ah
    metrics.update(head_ratio=head_ratio, head_top=head_top / ah)
    if head_ratio < LIMITS["head_min"]:
        result.add("face_too_small", head_ratio, [LIMITS["head_min"], LIMITS["head_max"]])
    elif head_ratio > LIMITS["head_max"]:
        result.add("face_too_large", head_ratio, [LIMITS["head_min"], LIMITS["head_max"]])
    centre_x = float(points[[0, 16, 27, 8], 0].mean())
    offset = abs(centre_x - aw / 2) / aw
    metrics["centre_offset"] = offset
    if offset > LIMITS["centre_offset"] or head_top / ah < LIMITS["top_margin"]:
        result.add(
            "face_not_centred",
            {"offset": offset, "top_margin": head_top / ah},
            {"offset_max": LIMITS["centre_offset"], "top_margin_min": LIMITS["top_margin"]},
        )
    roll = face.roll_degrees
    metrics["roll_degrees"] = roll
    if abs(roll) > LIMITS["roll_degrees"]:
        result.add("head_tilted", roll, LIMITS["roll_degrees"])

    eyes = faces.eye_metrics(face, gray)
    metrics.update(eyes)
    if faces.eyes_hidden(eyes):
        result.add(
            "eyes_not_visible",
            {"openness": eyes["eye_openness"], "darkness": eyes["eye_darkness"], "eyes_found": eyes["haar_eyes"]},
            {"openness_min": LIMITS["eye_openness"], "darkness_min": LIMITS["eye_darkness"]},
        )
    eye_span = face.eye_span

    # Exposure and lighting on the inner face (brows to chin, jaw to jaw).
    x0, x1 = points[[1, 2, 3], 0].min(), points[[13, 14, 15], 0].max()
    y0, y1 = points[17:27, 1].min(), chin
    inner = faces.region(gray, x0, y0, x1, y1)
    if inner.size:
        mean = float(inner.mean())
        dark_clip = float((inner <= 15).mean())
        bright_clip = float((inner >= 245).mean())
        metrics.update(face_luminance=mean, dark_clip=dark_clip, bright_clip=bright_clip)
        if mean < LIMITS["dark_mean"] or dark_clip > LIMITS["clip_share"]:
            result.add("too_dark", mean, LIMITS["dark_mean"])
        elif mean > LIMITS["bright_mean"] or bright_clip > LIMITS["clip_share"]:
            result.add("too_bright", mean, LIMITS["bright_mean"])
        nose_x = points[30, 0]
        left_half = faces.region(gray, x0, points[29, 1] - 0.3 * eye_span, nose_x - 0.1 * eye_span, y1)
        right_half = faces.region(gray, nose_x + 0.1 * eye_span, points[29, 1] - 0.3 * eye_span, x1, y1)
        if left_half.size and right_half.size:
            halves = sorted([float(left_half.mean()), float(right_half.mean())])
            ratio = halves[0] / max(halves[1], 1.0)
            metrics["lighting_ratio"] = ratio
            if ratio < LIMITS["uneven_ratio"]:
                result.add("uneven_lighting", ratio, LIMITS["uneven_ratio"])
        sharp = cv2.resize(
            inner, (200, max(int(200 * inner.shape[0] / inner.shape[1]), 1)), interpolation=cv2.INTER_AREA
        )
        variance = float(cv2.Laplacian(sharp, cv2.CV_64F).var())
        metrics["blur_variance"] = variance
        if variance < LIMITS["blur_variance"]:
            result.add("blurry", variance, LIMITS["blur_variance"])


def _polygon_mask(shape, points) -> np.ndarray:
    import cv2

    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


def _skin_colour(lab: np.ndarray, face: Face) -> np.ndarray | None:
    """The face's own skin (Lab): the cheeks under the eyes, and the bridge of the nose."""
    p, span = face.points, face.eye_span
    boxes = [
        (p[i, 0] - 0.12 * span, p[i, 1] + 0.3 * span, p[i, 0] + 0.12 * span, p[i, 1] + 0.5 * span) for i in (40, 47)
    ]
    boxes.append((p[28, 0] - 0.08 * span, p[28, 1], p[28, 0] + 0.08 * span, p[29, 1]))
    parts = [faces.region(lab, *box).reshape(-1, 3) for box in boxes]
    parts = [part for part in parts if part.size]
    if not parts:
        return None
    return np.median(np.concatenate(parts), axis=0)


SKIN_MIN_REDNESS = 2.5  # a* of a skin colour: every face of the evaluation set, of any tone and lighting, has 3 or more


def _own_colour_above_a_covering(lab: np.ndarray, face: Face, skin: np.ndarray) -> np.ndarray:
    """The colour the lower face is compared with: the skin sample, unless it is not skin-coloured (skin
    of any tone is reddish): a face mask drawn up to the eyes covers the cheeks and the bridge where it
    is taken, and then the forehead, where it is reddish, is the face's own colour."""
    if skin[1] >= SKIN_MIN_REDNESS:
        return skin
    forehead = _forehead(lab, *face.eye_centres, face.eye_span)
    if not forehead.size:
        return skin
    above = np.median(forehead.reshape(-1, 3), axis=0)
    return above if above[1] >= SKIN_MIN_REDNESS else skin


def _skin_like(lab: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Pixels of the face's skin colour (hue and chroma close, lightness within shading range)."""
    da, db = lab[..., 1] - skin[1], lab[..., 2] - skin[2]
    lightness = lab[..., 0] - skin[0]
    return (da * da + db * db < 81) & (lightness > -30) & (lightness < 18)


# Where these are found, the face's colour and fine detail are not what the person looks like: the
# skin-colour and texture measures are not taken (the photo goes to a reviewer for them anyway).
UNRELIABLE_COLOUR = {"grayscale", "too_dark", "too_bright", "uneven_lighting", "blurry"}


def _check_dress_and_pose(
    result: PhotoCheckResult, found: list[Face], lab: np.ndarray, background, outline: bool
) -> None:
    """Headwear, a covered lower face, shoulders, clothing and hands (the seed's dress and pose rules).

    The outline (person against background) is used only on a plain, light background, where it is
    reliable; elsewhere the outline-based measures are not taken (the background is flagged anyway).
    Skin colour and texture are judged only on a face that is lit evenly, exposed well and sharp."""
    import cv2

    face = found[0]
    metrics = result.metrics
    colour = not UNRELIABLE_COLOUR & set(result.codes)
    tilted = "head_tilted" in result.codes
    ah, aw = lab.shape[:2]
    p, span = face.points, face.eye_span
    skin = _skin_colour(lab, face)
    if skin is None:
        return
    metrics["skin_lab"] = [float(v) for v in skin]
    skin_like = _skin_like(lab, skin)
    person = None
    if outline:
        person = _lab_distance_above(lab, background, 18)
    brow, chin = float(p[17:27, 1].min()), float(p[8, 1])
    jaw_width = float(p[16, 0] - p[0, 0])
    centre_x = float(p[[0, 16, 27, 8], 0].mean())

    # A covered lower face: skin between the nose and the chin, inside the jaw.
    # A covering darkens the face's mean (too_dark may be its side effect): the skin reference of the
    # upper face decides whether the colours can be trusted here.
    jaw_line = p[[*range(2, 15), 35, 33, 31]]
    # The polygon's own bounding box, not a mask of the whole frame.
    x0, y0 = np.clip(np.floor(jaw_line.min(axis=0)).astype(int), 0, None)
    x1, y1 = np.ceil(jaw_line.max(axis=0)).astype(int) + 1
    lower = _polygon_mask(skin_like[y0:y1, x0:x1].shape, jaw_line - (x0, y0))
    upper_exposed = 25 <= skin[0] <= 92 and not {"grayscale", "uneven_lighting", "blurry"} & set(result.codes)
    if upper_exposed and lower.any():
        own = _own_colour_above_a_covering(lab, face, skin)
        lower_skin = skin_like[y0:y1, x0:x1] if own is skin else _skin_like(lab[y0:y1, x0:x1], own)
        share = float(lower_skin[lower].mean())
        metrics["lower_face_skin"] = share
        if share < LIMITS["lower_face_skin"]:
            result.add("face_occluded", share, LIMITS["lower_face_skin"])

    # Headwear: the top of the head is hair (fine strands) or bare skin on a bare head; a hat is cloth,
    # smooth at the scale of hair. A light hat vanishes into a white background: then the outline
    # ends just above the brows, lower than any skull.
    if person is not None:
        columns = person[: int(brow), max(int(p[0, 0]), 0) : min(int(p[16, 0]), aw)]
        rows = np.where(columns.mean(axis=1) > 0.3)[0] if columns.size else []
        # A head cut by the frame's top edge is face_not_centred's; its top cannot be judged.
        if len(rows) and rows[0] > 1:
            top = float(rows[0])
            crown_ratio = (brow - top) / max(chin - brow, 1.0)
            metrics["crown_ratio"] = crown_ratio
            # The top of the head over the middle of the brows: hair, a hat, or a bare scalp; never the
            # background, whatever the head's shape.
            y0, y1 = int(top + 0.1 * (brow - top)), int(top + 0.5 * (brow - top))
            x0, x1 = max(int(p[18, 0]), 0), min(int(p[25, 0]), aw)
            texture = None
            if colour and y1 - y0 >= 4 and x1 - x0 >= 4:
                light = lab[y0:y1, x0:x1, 0]
                covered = ~skin_like[y0:y1, x0:x1]
                if covered.mean() >= 0.3:  # mostly skin up there: a bare head
                    detail = cv2.GaussianBlur(light, (0, 0), 1.0) - cv2.GaussianBlur(light, (0, 0), 4.0)
                    texture = float(np.abs(detail[covered]).mean())
                    metrics["crown_texture"] = texture
            if crown_ratio < LIMITS["crown_ratio_min"] or (texture is not None and texture < LIMITS["crown_texture"]):
                result.add(
                    "head_covering",
                    {"crown_ratio": crown_ratio, "crown_texture": texture},
                    {"crown_ratio_min": LIMITS["crown_ratio_min"], "crown_texture_min": LIMITS["crown_texture"]},
                )

    # Clothing: the outer garment either side of the collar (a light shirt between the lapels is fine),
    # below the collar bones: inside the clothes for any build, whether or not the outline shows them
    # (white clothes vanish into a white background).
    y0, y1 = int(chin + 0.42 * jaw_width), min(int(chin + jaw_width), ah)
    if not tilted and "too_bright" not in result.codes and y1 - y0 >= 4:
        garment = np.zeros((y1 - y0, aw), bool)  # rows y0 to y1 of the frame
        for side in (-1, 1):
            xa, xb = sorted((centre_x + side * 0.3 * jaw_width, centre_x + side * 0.65 * jaw_width))
            garment[:, max(int(xa), 0) : min(int(xb), aw)] = True
        garment &= ~skin_like[y0:y1]
        if garment.sum() > 50:
            clothing = float(np.median(lab[y0:y1, :, 0][garment]))
            metrics["clothing_lightness"] = clothing
            if clothing > LIMITS["clothing_lightness"]:
                result.add("light_clothing", clothing, LIMITS["clothing_lightness"])

    # Shoulders: where the outline starts below the chin in columns beyond the neck, compared in pairs
    # at the same distance either side of the neck. A light garment's outline is lost in a white
    # background: then the shoulders are not judged.
    if person is not None and "light_clothing" not in result.codes:
        begin = max(int(chin - 0.1 * jaw_width), 0)
        # Pairs are centred under the chin, where the neck is (a turned head's outer landmarks are not
        # centred over the body).
        neck_x = float(p[8, 0])
        slopes = []
        for k in np.linspace(0.45, 0.9, 10):
            tops = []
            for x in (int(neck_x - k * jaw_width), int(neck_x + k * jaw_width)):
                # The body runs on to the foot of the frame: its outline is below the last background row.
                column = person[begin:, x] if 0 <= x < aw else np.zeros(0, bool)
                empty = np.where(~column)[0]
                top = begin + empty[-1] + 1 if len(empty) else ah
                tops.append(top if top < ah - 2 else None)
            if None not in tops:
                slopes.append(np.degrees(np.arctan2(tops[1] - tops[0], 2 * k * jaw_width)))
        if len(slopes) >= 3:
            slope = float(np.median(slopes))
            metrics["shoulder_degrees"] = slope
            if abs(slope) > LIMITS["shoulder_degrees"]:
                result.add("shoulders_not_level", slope, LIMITS["shoulder_degrees"])

    # Hands: skin-coloured parts of the person outside the face, the ears and the neck, above the
    # shoulders (arms resting low are not a gesture).
    if colour and person is not None:
        # Only the rows of the zone are looked at (brows - 1.5 eye spans to chin + 1.6): the arrays below
        # are that band of the frame, with `top` its first row.
        top, bottom = max(int(brow - 1.5 * span), 0), min(int(chin + 1.6 * span), ah)
        yy, xx = np.ogrid[top:bottom, :aw]
        face_zone = np.zeros((bottom - top, aw), bool)
        for other in found:  # a second face is its own code, not a hand
            q, s = other.points, other.eye_span
            width, top_y, bottom_y = q[16, 0] - q[0, 0], q[17:27, 1].min(), q[8, 1]
            face_zone |= ((xx - q[[0, 16, 27, 8], 0].mean()) / (width / 2 + 0.45 * s)) ** 2 + (
                (yy - (top_y + bottom_y) / 2) / ((bottom_y - top_y) / 2 + 0.9 * s)
            ) ** 2 <= 1
        neck = np.zeros((bottom - top, aw), bool)
        neck[max(int(brow) - top, 0) : max(int(chin + 0.9 * span) - top, 0), max(int(p[4, 0]), 0) : int(p[12, 0])] = (
            True
        )
        candidates = (skin_like[top:bottom] & person[top:bottom] & ~face_zone & ~neck).astype(np.uint8)
        # A row of zeros where the band meets more of the frame: the opening then treats the band's
        # edges as the whole-frame mask did (zeros beyond the zone), not as the frame's border.
        candidates = np.pad(candidates, ((int(top > 0), int(bottom < ah)), (0, 0)))
        candidates = cv2.morphologyEx(candidates, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        # Components are labelled inside the box around what is left (usually little or nothing): the
        # same components as over the whole band, without labelling its empty part.
        x, y, w, h = cv2.boundingRect(candidates)
        largest = 0.0
        if w and h:
            count, _labels, stats, _ = cv2.connectedComponentsWithStats(candidates[y : y + h, x : x + w])
            largest = float(stats[1:, cv2.CC_STAT_AREA].max()) if count > 1 else 0.0
        face_area = max(jaw_width * (chin - brow), 1.0)
        hand = largest / face_area
        metrics["hand_skin"] = hand
        if hand > LIMITS["hand_skin"]:
            result.add("hands_visible", hand, LIMITS["hand_skin"])


def _check_metadata(result: PhotoCheckResult, exif: dict, now: datetime) -> None:
    metrics = result.metrics
    software = str(exif.get("software") or "")
    metrics["exif_software"] = software or None
    taken = exif.get("datetime_original")
    metrics["exif_taken"] = taken
    if taken:
        try:
            taken_at = datetime.strptime(str(taken)[:19], "%Y:%m:%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            taken_at = None
        if taken_at is not None:
            age = (now - taken_at).days
            metrics["age_days"] = age
            if age > LIMITS["max_age_days"]:
                result.add("too_old", age, LIMITS["max_age_days"])
    # Only the editor named in the metadata: error-level analysis was tried and did not separate pasted
    # regions from clean photos on the evaluation set (docs/photo-checks.md), so it is not used.
    editor = next((name for name in EDITORS if name in software.lower()), None)
    if editor:
        result.add("edited", software, "no editor in the metadata")


def warm_up() -> None:
    """Load the models now (worker start) rather than on the first photo."""
    faces.models()
    check_photo(_blank_jpeg())


def _blank_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (255, 255, 255)).save(out, format="JPEG")
    return out.getvalue()


__all__ = ["CODES", "LIMITS", "PhotoCheckResult", "Problem", "check_photo", "warm_up"]
