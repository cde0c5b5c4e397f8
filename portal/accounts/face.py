"""Pluggable face verification (A1, R1), chosen by FACE_VERIFIER: `local`, `http` or a dotted path.

A verifier never accepts without a check: when it cannot run, it refuses.
"""

import base64
import json
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from portal import faces
from portal.errors import DomainError
from portal.images import decode_image


@dataclass(frozen=True)
class FaceResult:
    verified: bool
    detail: str = ""
    metrics: dict | None = None


class LocalFaceVerifier:
    """In-process verification with the face engine (portal.faces).

    The policy: exactly one face, turned to the camera, eyes open and uncovered, and, where a
    reference photo is given, the same person as on it.
    """

    max_yaw = 0.3  # nose offset from the eyes' midpoint, in eye spans
    max_roll = 20.0  # degrees
    min_luminance = 35.0  # face (or, without a face, picture) brightness 0–255: darker hides the eyes

    def verify(self, *, selfie: bytes, reference: bytes | None) -> FaceResult:
        try:
            selfie_rgb = faces.analysis_copy(decode_image(selfie, reencode=False).image)
        except DomainError:
            return FaceResult(False, str(_("The picture is not a readable JPEG or PNG image.")))
        grey = faces.grey(selfie_rgb)
        found = faces.find_faces(selfie_rgb, grey)
        too_dark = str(_("The picture is too dark: turn towards a light and try again."))
        if not found:
            if float(grey.mean()) < self.min_luminance:
                return FaceResult(False, too_dark, {"faces": 0, "luminance": round(float(grey.mean()), 1)})
            return FaceResult(False, str(_("No face was found.")), {"faces": 0})
        if len(found) > 1:
            return FaceResult(False, str(_("Only one person may be in the picture.")), {"faces": len(found)})
        face = found[0]
        eyes = faces.eye_metrics(face, grey)
        metrics = {"faces": 1, "yaw": round(face.yaw, 3), "roll": round(face.roll_degrees, 1), **faces.json_safe(eyes)}
        metrics["luminance"] = round(faces.face_luminance(face, grey), 1)
        if metrics["luminance"] < self.min_luminance:
            return FaceResult(False, too_dark, metrics)
        if face.yaw > self.max_yaw or abs(face.roll_degrees) > self.max_roll:
            return FaceResult(False, str(_("Please face the camera.")), metrics)
        if faces.eyes_hidden(eyes):
            return FaceResult(False, str(_("Open your eyes and uncover them (no sunglasses).")), metrics)
        if reference is None:
            return FaceResult(True, metrics=metrics)
        try:
            reference_rgb = faces.analysis_copy(decode_image(reference, reencode=False).image)
        except DomainError:
            return FaceResult(False, str(_("The photo on record cannot be read.")), metrics)
        reference_faces = faces.find_faces(reference_rgb)
        if not reference_faces:
            return FaceResult(False, str(_("There is no face in the photo on record.")), metrics)
        distance = faces.distance(selfie_rgb, face, reference_rgb, reference_faces[0])
        metrics["distance"] = round(distance, 4)
        if distance >= faces.MATCH_DISTANCE:
            return FaceResult(False, str(_("Not the same person as the photo on record.")), metrics)
        return FaceResult(True, metrics=metrics)


class HttpFaceVerifier:
    """Posts both images to an identity service: `{"selfie", "reference"}` (base64) → `{"match": bool}`."""

    timeout = 15

    def verify(self, *, selfie: bytes, reference: bytes | None) -> FaceResult:
        if not settings.FACE_VERIFIER_URL.startswith(("https://", "http://")):
            return FaceResult(False, str(_("Face verification is not configured.")))
        body = json.dumps(
            {
                "selfie": base64.b64encode(selfie).decode(),
                "reference": base64.b64encode(reference).decode() if reference else None,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            settings.FACE_VERIFIER_URL, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read(65536))
        except Exception:
            return FaceResult(False, str(_("The face verification service did not answer. Please try again.")))
        if answer.get("match") is True:
            return FaceResult(True, metrics={"score": answer.get("score")})
        return FaceResult(False, str(answer.get("detail") or _("The face in the photo could not be verified.")))


VERIFIERS = {"local": LocalFaceVerifier, "http": HttpFaceVerifier}


def get_face_verifier():
    name = settings.FACE_VERIFIER
    cls = VERIFIERS.get(name) or import_string(name)
    return cls()
