"""The photo checker (photo-rules.md): bytes in, every problem that applies out, with measurements.

Pure: no database, no settings beyond the upload limits passed in. The checker flags, it never
decides alone: a reviewer sees the problems with their measured values and limits.

Face analysis runs offline with models that ship in packages: dlib's HOG face detector and
68-point landmark predictor (`face_recognition_models`), dlib's ResNet face descriptor for
same-person checks, and OpenCV 4.x's Haar eye cascade. They load once per process (`models()`).
"""

from __future__ import annotations

import io
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

import numpy as np
from PIL import Image

from portal.images import decode_image

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
ANALYSIS_HEIGHT = 480  # faces are analysed on a copy this tall: fast, and big enough for landmarks

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
    "eye_openness": 0.17,  # eye aspect ratio from landmarks
    "eye_darkness": 0.45,  # eye region luminance / cheek luminance
    "max_age_days": 183,
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
    "unreadable": (
        "无法读取：文件不是 JPEG 或 PNG 照片，或已损坏。",
        "Unreadable: not a JPEG or PNG photo, or the file is damaged.",
    ),
    "file_too_large": ("文件过大。", "The file is too large."),
    "too_small": (
        "照片尺寸过小，至少 260×378 像素，建议宽 520 像素以上。",
        "The photo is too small: at least 260×378 pixels, 520 wide or more preferred.",
    ),
    "wrong_aspect": (
        "照片宽高比不符合要求（应在 2:3 至 3:4 之间）。",
        "Wrong proportions: width to height must be between 2:3 and 3:4.",
    ),
    "grayscale": ("请使用彩色照片。", "Please use a colour photo."),
    "background_not_white": ("背景不是均匀的白色。", "The background is not plain white."),
    "uneven_lighting": ("面部光线不均匀，一侧明显偏暗。", "Uneven lighting: one side of the face is much darker."),
    "too_dark": ("照片过暗。", "The photo is too dark."),
    "too_bright": ("照片过亮或过曝。", "The photo is too bright or over-exposed."),
    "blurry": ("照片模糊，请对焦后重拍。", "The photo is blurred: please focus and retake it."),
    "no_face": ("未检测到人脸。", "No face was found."),
    "multiple_faces": ("照片中有多张人脸。", "There is more than one face in the photo."),
    "face_too_small": ("头部在照片中占比过小，请靠近镜头。", "The head is too small in the photo: come closer."),
    "face_too_large": ("头部在照片中占比过大，请离镜头远一些。", "The head is too large in the photo: move back."),
    "face_not_centred": ("头部未居中或离上边缘太近。", "The head is not centred, or too close to the top edge."),
    "head_tilted": ("头部倾斜，请保持双眼水平。", "The head is tilted: keep your eyes level."),
    "eyes_not_visible": ("双眼未睁开或被遮挡（如墨镜）。", "The eyes are closed or covered (e.g. by sunglasses)."),
    "too_old": ("照片拍摄于 6 个月以前。", "The photo was taken more than 6 months ago."),
    "edited": ("照片可能经过编辑或修图。", "The photo may have been edited or retouched."),
}

CODES = tuple(MESSAGES)


@dataclass(frozen=True)
class Problem:
    code: str
    value: object = None
    limit: object = None

    @property
    def messages(self) -> dict:
        zh, en = MESSAGES[self.code]
        return {"zh-hans": zh, "en": en}

    def message(self, language: str = "zh-hans") -> str:
        return self.messages["en" if language.startswith("en") else "zh-hans"]

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
        self.problems.append(Problem(code, _plain(value), _plain(limit)))

    def as_dict(self, language: str | None = None) -> dict:
        return {
            "problems": [p.as_dict(language) for p in self.problems],
            "metrics": {k: _plain(v) for k, v in self.metrics.items()},
        }


def _plain(value):
    if isinstance(value, float | np.floating):
        return round(float(value), 4)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# --- models, loaded once per process ------------------------------------------------------------
@dataclass(frozen=True)
class Models:
    detector: object
    landmarks: object
    descriptor: object
    eye_cascade: object


_model_lock = threading.Lock()


@cache
def _load_models() -> Models:
    import cv2
    import dlib
    import face_recognition_models as frm

    return Models(
        detector=dlib.get_frontal_face_detector(),
        landmarks=dlib.shape_predictor(frm.pose_predictor_model_location()),
        descriptor=dlib.face_recognition_model_v1(frm.face_recognition_model_location()),
        eye_cascade=cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye_tree_eyeglasses.xml"),
    )


def models() -> Models:
    with _model_lock:  # dlib objects are built once even when threads race for the first photo
        return _load_models()


# --- face analysis -------------------------------------------------------------------------------
@dataclass
class Face:
    box: tuple[int, int, int, int]  # left, top, right, bottom in analysis pixels
    score: float
    points: np.ndarray  # 68 × 2 landmarks in analysis pixels
    shape: object  # dlib full_object_detection, for the descriptor

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


DETECTION_HEIGHT = 320  # HOG finds faces of 80 px and more: at this height, heads down to a quarter of it


def find_faces(rgb: np.ndarray) -> list[Face]:
    """Faces in an RGB array (analysis size), largest first. Detection runs on a smaller copy."""
    import cv2
    import dlib

    m = models()
    factor = min(DETECTION_HEIGHT / rgb.shape[0], 1.0)
    small = rgb if factor == 1.0 else cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    detections, scores, _ = m.detector.run(small, 0, 0)
    # No face, or only small ones (a group photo, a head far away): look again at twice the size,
    # where small faces score reliably.
    if not detections or max(d.height() for d in detections) < 100:
        detections, scores, _ = m.detector.run(small, 1, 0)
    faces = []
    for found, score in zip(detections, scores, strict=True):
        rect = dlib.rectangle(
            round(found.left() / factor),
            round(found.top() / factor),
            round(found.right() / factor),
            round(found.bottom() / factor),
        )
        shape = m.landmarks(rgb, rect)
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        faces.append(Face((rect.left(), rect.top(), rect.right(), rect.bottom()), float(score), points, shape))
    faces.sort(key=lambda f: f.height, reverse=True)
    # A real second face is a sizeable, confident detection, not a pattern on clothing.
    if faces:
        main = faces[0]
        faces = [main] + [f for f in faces[1:] if f.score > 0.3 and f.height >= 0.35 * main.height]
    return faces


def _eye_aspect_ratio(eye: np.ndarray) -> float:
    width = np.linalg.norm(eye[0] - eye[3])
    if width == 0:
        return 0.0
    return float((np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])) / (2 * width))


def _region(gray: np.ndarray, x0, y0, x1, y1) -> np.ndarray:
    h, w = gray.shape
    x0, x1 = max(int(x0), 0), min(int(x1), w)
    y0, y1 = max(int(y0), 0), min(int(y1), h)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0), gray.dtype)
    return gray[y0:y1, x0:x1]


def _lab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100 / 255
    lab[..., 1:] -= 128
    return lab


def _head_top(lab: np.ndarray, face: Face, background: np.ndarray | None) -> float:
    """The first row from the top where the head's column band stops looking like background."""
    left, _top, right, _bottom = face.box
    estimate_from_box = face.box[1] - 0.55 * face.height  # dlib boxes start near the eyebrows
    band = lab[: int(face.points[27, 1]), max(left, 0) : max(right, left + 1)]
    if band.size == 0 or background is None:
        return float(max(estimate_from_box, 0))
    differs = np.linalg.norm(band - background.astype(np.float32), axis=2) > 18
    rows = np.where(differs.mean(axis=1) > 0.25)[0]
    if len(rows) == 0:
        return float(max(estimate_from_box, 0))
    return float(max(rows[0], estimate_from_box - 0.35 * face.height, 0))


# --- the checker -----------------------------------------------------------------------------------
def check_photo(
    data: bytes, *, now: datetime | None = None, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> PhotoCheckResult:
    """Run every rule of photo-rules.md on one file. Never raises for bad input."""
    import cv2

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
    scale = ANALYSIS_HEIGHT / height
    analysis = image.resize((max(int(width * scale), 1), ANALYSIS_HEIGHT), Image.BILINEAR) if scale < 1 else image
    rgb = np.asarray(analysis)
    ah, aw = rgb.shape[:2]
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    lab = _lab(rgb)

    # Colour.
    channels = rgb.astype(np.int16)
    spread = float(
        np.maximum.reduce(
            [
                np.abs(channels[..., 0] - channels[..., 1]),
                np.abs(channels[..., 1] - channels[..., 2]),
                np.abs(channels[..., 0] - channels[..., 2]),
            ]
        ).mean()
    )
    metrics["colour_spread"] = spread
    if spread < LIMITS["grayscale_spread"]:
        result.add("grayscale", spread, LIMITS["grayscale_spread"])

    # Faces.
    faces = find_faces(rgb)
    metrics["faces"] = len(faces)
    face = faces[0] if faces else None

    # Background: the top band and the side bands beside the head, minus an ellipse around the head.
    band = np.zeros((ah, aw), dtype=bool)
    band[: max(int(0.06 * ah), 1), :] = True
    side = max(int(0.08 * aw), 1)
    band[: int(0.5 * ah), :side] = True
    band[: int(0.5 * ah), aw - side :] = True
    nominal = int(band.sum())
    if face is not None:
        left, top, right, _bottom = face.box
        yy, xx = np.ogrid[:ah, :aw]
        cx, cy = (left + right) / 2, top + 0.3 * face.height
        rx, ry = 0.9 * (right - left), 1.25 * face.height
        band &= ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 > 1
    visible = float(band.sum()) / max(nominal, 1)
    metrics["background_visible"] = visible
    if visible < 0.15:  # the head fills the frame: too little background to judge; use the corners
        corner = max(int(0.04 * min(ah, aw)), 2)
        border = np.concatenate([lab[:corner, :corner].reshape(-1, 3), lab[:corner, -corner:].reshape(-1, 3)])
    else:
        border = lab[band]
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
        result.add("no_face", 0, 1)
        _check_exposure_without_face(result, gray)
    else:
        if len(faces) > 1:
            result.add("multiple_faces", len(faces), 1)
        _check_face(result, face, rgb, gray, lab, background if background_plain else None)

    # Metadata hints.
    _check_metadata(result, safe.exif, now or datetime.now(UTC))
    metrics["total_ms"] = (time.perf_counter() - started) * 1000
    return result


def eye_metrics(face: Face, gray: np.ndarray) -> dict:
    """Open (landmarks), not covered (eye regions against the cheeks), and seen by the Haar cascade."""
    points = face.points
    left_eye, right_eye = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    openness = min(_eye_aspect_ratio(points[36:42]), _eye_aspect_ratio(points[42:48]))
    eye_span = np.linalg.norm(right_eye - left_eye)
    eye_boxes = [
        _region(gray, c[0] - 0.3 * eye_span, c[1] - 0.18 * eye_span, c[0] + 0.3 * eye_span, c[1] + 0.18 * eye_span)
        for c in (left_eye, right_eye)
    ]
    cheek_y = (points[29, 1] + points[33, 1]) / 2
    cheeks = [
        _region(
            gray,
            points[i, 0] - 0.12 * eye_span,
            cheek_y - 0.1 * eye_span,
            points[i, 0] + 0.12 * eye_span,
            cheek_y + 0.1 * eye_span,
        )
        for i in (40, 47)
    ]
    cheek = np.concatenate([c.ravel() for c in cheeks]) if all(c.size for c in cheeks) else np.array([1.0])
    eyes = np.concatenate([e.ravel() for e in eye_boxes]) if all(e.size for e in eye_boxes) else np.array([0.0])
    upper = _region(gray, face.box[0], face.box[1], face.box[2], points[30, 1])
    haar_eyes = 0
    if upper.size:
        import cv2

        # The cascade's cost grows with the area: a 128-px-wide upper face keeps eyes at about 25 px.
        factor = 128 / upper.shape[1]
        upper = cv2.resize(upper, (128, max(int(upper.shape[0] * factor), 1)), interpolation=cv2.INTER_AREA)
        haar_eyes = len(models().eye_cascade.detectMultiScale(upper, 1.1, 3, minSize=(12, 12)))
    return {
        "eye_openness": openness,
        "eye_darkness": float(eyes.mean() / max(cheek.mean(), 1.0)),
        "haar_eyes": haar_eyes,
    }


def eyes_hidden(eyes: dict) -> bool:
    # Open eyes are found by the cascade; closed lids, dark glasses and covers are not.
    return (
        eyes["eye_openness"] < LIMITS["eye_openness"]
        or eyes["eye_darkness"] < LIMITS["eye_darkness"]
        or eyes["haar_eyes"] == 0
    )


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
    left_eye, right_eye = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    roll = math.degrees(math.atan2(right_eye[1] - left_eye[1], right_eye[0] - left_eye[0]))
    metrics["roll_degrees"] = roll
    if abs(roll) > LIMITS["roll_degrees"]:
        result.add("head_tilted", roll, LIMITS["roll_degrees"])

    eyes = eye_metrics(face, gray)
    metrics.update(eyes)
    if eyes_hidden(eyes):
        result.add(
            "eyes_not_visible",
            {"openness": eyes["eye_openness"], "darkness": eyes["eye_darkness"], "eyes_found": eyes["haar_eyes"]},
            {"openness_min": LIMITS["eye_openness"], "darkness_min": LIMITS["eye_darkness"]},
        )
    eye_span = np.linalg.norm(right_eye - left_eye)

    # Exposure and lighting on the inner face (brows to chin, jaw to jaw).
    x0, x1 = points[[1, 2, 3], 0].min(), points[[13, 14, 15], 0].max()
    y0, y1 = points[17:27, 1].min(), chin
    inner = _region(gray, x0, y0, x1, y1)
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
        left_half = _region(gray, x0, points[29, 1] - 0.3 * eye_span, nose_x - 0.1 * eye_span, y1)
        right_half = _region(gray, nose_x + 0.1 * eye_span, points[29, 1] - 0.3 * eye_span, x1, y1)
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


# --- face verification (the `local` verifier of portal.accounts.face) -----------------------------
MATCH_DISTANCE = 0.6  # dlib ResNet descriptor: same person below this Euclidean distance


def face_descriptor(rgb: np.ndarray, face: Face) -> np.ndarray:
    return np.array(models().descriptor.compute_face_descriptor(rgb, face.shape))


def _analysis_rgb(image: Image.Image) -> np.ndarray:
    scale = ANALYSIS_HEIGHT / image.height
    if scale < 1:
        image = image.resize((max(int(image.width * scale), 1), ANALYSIS_HEIGHT), Image.BILINEAR)
    return np.asarray(image)


def verify_faces(*, selfie: bytes, reference: bytes | None):
    """One frontal face with open eyes; where a portrait is on record, the same person."""
    from portal.accounts.face import FaceResult

    try:
        selfie_rgb = _analysis_rgb(decode_image(selfie, reencode=False).image)
    except Exception:
        return FaceResult(False, MESSAGES["unreadable"][0] + " / " + MESSAGES["unreadable"][1])
    faces = find_faces(selfie_rgb)
    if not faces:
        return FaceResult(False, "未检测到人脸。 / No face was found.", {"faces": 0})
    if len(faces) > 1:
        return FaceResult(False, "画面中只能有一个人。 / Only one person may be in the picture.", {"faces": len(faces)})
    face = faces[0]
    points = face.points
    left_eye, right_eye = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    eye_span = float(np.linalg.norm(right_eye - left_eye))
    yaw = abs(points[30, 0] - (left_eye[0] + right_eye[0]) / 2) / max(eye_span, 1.0)
    roll = math.degrees(math.atan2(right_eye[1] - left_eye[1], right_eye[0] - left_eye[0]))
    import cv2

    eyes = eye_metrics(face, cv2.cvtColor(selfie_rgb, cv2.COLOR_RGB2GRAY))
    metrics = {"faces": 1, "yaw": round(float(yaw), 3), "roll": round(roll, 1), **_plain(eyes)}
    if yaw > 0.3 or abs(roll) > 20:
        return FaceResult(False, "请正对镜头。 / Please face the camera.", metrics)
    if eyes_hidden(eyes):
        return FaceResult(
            False, "请睁开双眼，不要遮挡（如墨镜）。 / Open your eyes and uncover them (no sunglasses).", metrics
        )
    if reference is None:
        return FaceResult(True, metrics=metrics)
    try:
        reference_rgb = _analysis_rgb(decode_image(reference, reencode=False).image)
    except Exception:
        return FaceResult(False, "档案照片无法读取。 / The portrait on record cannot be read.", metrics)
    reference_faces = find_faces(reference_rgb)
    if not reference_faces:
        return FaceResult(False, "档案照片中未检测到人脸。 / No face in the portrait on record.", metrics)
    distance = float(
        np.linalg.norm(face_descriptor(selfie_rgb, face) - face_descriptor(reference_rgb, reference_faces[0]))
    )
    metrics["distance"] = round(distance, 4)
    if distance >= MATCH_DISTANCE:
        return FaceResult(False, "与档案照片不是同一人。 / Not the same person as the portrait on record.", metrics)
    return FaceResult(True, metrics=metrics)


def warm_up() -> None:
    """Load the models now (worker start) rather than on the first photo."""
    models()
    check_photo(_blank_jpeg())


def _blank_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (255, 255, 255)).save(out, format="JPEG")
    return out.getvalue()


__all__ = ["CODES", "LIMITS", "PhotoCheckResult", "Problem", "check_photo", "verify_faces", "warm_up"]
