"""The face engine: detection, landmarks, eye measures and same-person distance. Pure and offline.

Used by the ID-photo rules (reviews.photo_checks) and by the face verifiers (portal.accounts.face);
it measures, they decide. The models ship in packages: dlib's HOG face detector and 68-point
landmark predictor (`face_recognition_models`), dlib's ResNet face descriptor, and OpenCV 4.x's
Haar eye cascade. They load once per process (`models()`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

ANALYSIS_HEIGHT = 480  # faces are analysed on a copy this tall: fast, and big enough for landmarks
DETECTION_HEIGHT = 320  # HOG finds faces of 80 px and more: at this height, heads down to a quarter of it
EYE_OPENNESS_MIN = 0.17  # eye aspect ratio from landmarks
EYE_DARKNESS_MIN = 0.45  # eye region luminance / cheek luminance
MATCH_DISTANCE = 0.6  # dlib ResNet descriptor: the same person below this Euclidean distance


@dataclass(frozen=True)
class Models:
    detector: object
    landmarks: object
    descriptor: object
    eye_cascade: object
    eye_finder: object


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
        eye_finder=cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye.xml"),
    )


def models() -> Models:
    with _model_lock:  # dlib objects are built once even when threads race for the first photo
        return _load_models()


def json_safe(value):
    """Measurements as plain JSON values (numpy numbers become float/int, rounded)."""
    if isinstance(value, float | np.floating):
        return round(float(value), 4)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, tuple | list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    return value


def analysis_copy(image: Image.Image) -> np.ndarray:
    """An RGB array no taller than ANALYSIS_HEIGHT, on which faces are found and measured.

    Bilinear interpolation (OpenCV), after a box reduction by the whole factor where the image is twice
    that height or more, so that no more than two source pixels lie between two samples (no aliasing
    of fine detail into the blur and texture measures). A tenth of the time of Pillow's filtered resize,
    which took 3.6 of a check's 25 ms on a 600×800 photo."""
    import cv2

    step = image.height // ANALYSIS_HEIGHT
    if step >= 2:
        image = image.reduce(step)  # each pixel the mean of step × step (the edges' partial boxes too)
    rgb = np.asarray(image)
    if image.height <= ANALYSIS_HEIGHT:
        return rgb
    scale = ANALYSIS_HEIGHT / image.height
    return cv2.resize(rgb, (max(int(image.width * scale), 1), ANALYSIS_HEIGHT), interpolation=cv2.INTER_LINEAR)


def grey(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


@dataclass
class Face:
    box: tuple[int, int, int, int]  # left, top, right, bottom in analysis pixels
    score: float
    points: np.ndarray  # 68 × 2 landmarks in analysis pixels
    shape: object  # dlib full_object_detection, for the descriptor

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def eye_centres(self) -> tuple[np.ndarray, np.ndarray]:
        return self.points[36:42].mean(axis=0), self.points[42:48].mean(axis=0)

    @property
    def eye_span(self) -> float:
        left, right = self.eye_centres
        return float(np.linalg.norm(right - left))

    @property
    def roll_degrees(self) -> float:
        """Head tilt: the angle of the line through the eyes."""
        left, right = self.eye_centres
        return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))

    @property
    def yaw(self) -> float:
        """Head turn: how far the nose tip is from the eyes' midpoint, in eye spans."""
        left, right = self.eye_centres
        return float(abs(self.points[30, 0] - (left[0] + right[0]) / 2) / max(self.eye_span, 1.0))


def find_faces(rgb: np.ndarray, gray: np.ndarray | None = None) -> list[Face]:
    """Faces in an RGB array (analysis size), largest first; `gray` is its grey copy if there is one.

    Detection runs on a smaller grey copy: HOG finds the same faces and boxes on grey as on colour
    (checked on the evaluation set), a fifth sooner, and one channel shrinks in a third of the time."""
    import cv2
    import dlib

    m = models()
    gray = grey(rgb) if gray is None else gray
    factor = min(DETECTION_HEIGHT / rgb.shape[0], 1.0)
    small = gray if factor == 1.0 else cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
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


def find_eye_pair(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Two eyes side by side where no face was found: a face whose lower half is covered (a mask, a
    scarf) hides from the face detector but not from an eye detector. Left and right centres, or None."""

    h, w = gray.shape
    upper = gray[: int(0.7 * h)]
    found = models().eye_finder.detectMultiScale(upper, 1.1, 5, minSize=(max(w // 30, 10),) * 2)
    best, best_size = None, 0.0
    boxes = [tuple(int(v) for v in box) for box in found]
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            a = np.array([x1 + w1 / 2, y1 + h1 / 2])
            b = np.array([x2 + w2 / 2, y2 + h2 / 2])
            dx, dy = abs(b[0] - a[0]), abs(b[1] - a[1])
            if not (0.12 * w <= dx <= 0.5 * w and dy <= 0.25 * dx):
                continue
            if max(w1, w2) > 1.6 * min(w1, w2) or not 0.25 * dx <= (w1 + w2) / 2 <= 0.8 * dx:
                continue
            if dx > best_size:
                best, best_size = (a, b) if a[0] < b[0] else (b, a), dx
    return best


def region(gray: np.ndarray, x0, y0, x1, y1) -> np.ndarray:
    """The part of an image inside a box, clipped to the image (empty when nothing is left)."""
    h, w = gray.shape[:2]
    x0, x1 = max(int(x0), 0), min(int(x1), w)
    y0, y1 = max(int(y0), 0), min(int(y1), h)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0, *gray.shape[2:]), gray.dtype)
    return gray[y0:y1, x0:x1]


def face_luminance(face: Face, gray: np.ndarray) -> float:
    """Mean brightness (0–255) of the face inside its box."""
    inside = region(gray, *face.box)
    return float(inside.mean()) if inside.size else 0.0


def _eye_aspect_ratio(eye: np.ndarray) -> float:
    width = np.linalg.norm(eye[0] - eye[3])
    if width == 0:
        return 0.0
    return float((np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])) / (2 * width))


def eye_metrics(face: Face, gray: np.ndarray) -> dict:
    """Open (landmarks), not covered (eye regions against the cheeks), and seen by the Haar cascade."""
    points = face.points
    left_eye, right_eye = face.eye_centres
    openness = min(_eye_aspect_ratio(points[36:42]), _eye_aspect_ratio(points[42:48]))
    eye_span = face.eye_span
    eye_boxes = [
        region(gray, c[0] - 0.3 * eye_span, c[1] - 0.18 * eye_span, c[0] + 0.3 * eye_span, c[1] + 0.18 * eye_span)
        for c in (left_eye, right_eye)
    ]
    cheek_y = (points[29, 1] + points[33, 1]) / 2
    cheeks = [
        region(
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
    return {
        "eye_openness": openness,
        "eye_darkness": float(eyes.mean() / max(cheek.mean(), 1.0)),
        "haar_eyes": _cascade_eyes(face, gray),
    }


# Where the cascade looks around each eye, in eye spans (half-width, half-height): first a tight box,
# the size of an ordinary eye window (most photos end there), then a box where windows up to one eye
# span fit (a blurred, enlarged face is found only at about that size).
EYE_BOXES = ((0.45, 0.32), (0.6, 0.5))
EYE_SCALE_STEP = 1.2


def _cascade_eyes(face: Face, gray: np.ndarray) -> int:
    """1 when the Haar cascade sees an eye, looked for in boxes around each eye's landmarks; else 0.

    The face is scaled so that its box is 128 px wide (eyes of about 25 px, what the cascade was
    trained on). Searching boxes around the eyes rather than the whole upper face is a fraction of the
    work and a nostril elsewhere no longer counts as an eye; the search stops at the first eye seen
    (the rule asks whether the cascade sees any). Window sizes step by 1.2, not 1.1: the verdict was the
    same for every photo of the evaluation set (1,220 photos), in 60 % of the cascade's time."""
    import cv2

    cascade = models().eye_cascade
    factor = 128 / max(face.box[2] - face.box[0], 1)
    span = face.eye_span
    for centre in face.eye_centres:
        for half_width, half_height in EYE_BOXES:
            box = region(
                gray,
                centre[0] - half_width * span,
                centre[1] - half_height * span,
                centre[0] + half_width * span,
                centre[1] + half_height * span,
            )
            if not box.size:
                continue
            size = (max(round(box.shape[1] * factor), 1), max(round(box.shape[0] * factor), 1))
            box = cv2.resize(box, size, interpolation=cv2.INTER_AREA)
            if len(cascade.detectMultiScale(box, EYE_SCALE_STEP, 3, minSize=(12, 12))):
                return 1
    return 0


def eyes_hidden(eyes: dict) -> bool:
    # Open eyes are found by the cascade; closed lids, dark glasses and covers are not.
    return eyes["eye_openness"] < EYE_OPENNESS_MIN or eyes["eye_darkness"] < EYE_DARKNESS_MIN or eyes["haar_eyes"] == 0


def descriptor(rgb: np.ndarray, face: Face) -> np.ndarray:
    return np.array(models().descriptor.compute_face_descriptor(rgb, face.shape))


def distance(rgb_a: np.ndarray, face_a: Face, rgb_b: np.ndarray, face_b: Face) -> float:
    """How far apart two faces are; below MATCH_DISTANCE they are the same person."""
    return float(np.linalg.norm(descriptor(rgb_a, face_a) - descriptor(rgb_b, face_b)))
