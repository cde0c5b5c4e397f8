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


@dataclass(frozen=True)
class FaceResult:
    verified: bool
    detail: str = ""
    metrics: dict | None = None


class LocalFaceVerifier:
    """Runs the photo checker's face analysis in-process (reviews.photo_checks)."""

    def verify(self, *, selfie: bytes, reference: bytes | None) -> FaceResult:
        try:
            from reviews.photo_checks import verify_faces  # built with the photo-checks issue
        except ImportError:
            return FaceResult(False, str(_("Face verification is not available yet. Please try again later.")))
        return verify_faces(selfie=selfie, reference=reference)


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
