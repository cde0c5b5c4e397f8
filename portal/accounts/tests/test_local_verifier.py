"""The `local` face verifier's policy: one frontal face with open eyes, the same person as the reference."""

import io

import numpy as np
import pytest
from PIL import Image

from portal import faces
from portal.accounts.face import LocalFaceVerifier
from tests import photoset


def _other_person() -> bytes:
    import cv2
    from skimage import data

    face = (data.lfw_subset()[0] * 255).astype(np.uint8)
    big = cv2.resize(face, (300, 300), interpolation=cv2.INTER_CUBIC)
    out = io.BytesIO()
    Image.fromarray(np.repeat(big[..., None], 3, axis=2)).save(out, format="JPEG")
    return out.getvalue()


def test_verifier_accepts_one_frontal_face_with_open_eyes():
    result = LocalFaceVerifier().verify(selfie=photoset.good(4).data, reference=None)
    assert result.verified, result


def test_verifier_accepts_the_same_person_as_the_portrait_on_record():
    result = LocalFaceVerifier().verify(selfie=photoset.good(4).data, reference=photoset.good(9).data)
    assert result.verified and result.metrics["distance"] < faces.MATCH_DISTANCE


def test_verifier_refuses_another_person():
    result = LocalFaceVerifier().verify(selfie=_other_person(), reference=photoset.good(9).data)
    assert not result.verified and result.metrics["distance"] >= faces.MATCH_DISTANCE


@pytest.mark.parametrize(
    "make",
    [photoset.no_face, photoset.multiple_faces, photoset.eyes_not_visible, photoset.unreadable],
    ids=["no face", "two faces", "eyes covered", "unreadable"],
)
def test_verifier_refuses(make):
    sample = make(0) if make is not photoset.eyes_not_visible else make(1)
    assert not LocalFaceVerifier().verify(selfie=sample.data, reference=None).verified


def test_a_dark_selfie_is_called_too_dark_not_hidden_eyes():
    from django.utils import translation
    from PIL import ImageEnhance

    dark = ImageEnhance.Brightness(Image.open(io.BytesIO(photoset.good(4).data))).enhance(0.15)
    out = io.BytesIO()
    dark.save(out, format="JPEG")
    with translation.override("en"):
        result = LocalFaceVerifier().verify(selfie=out.getvalue(), reference=photoset.good(9).data)
    assert not result.verified and "too dark" in result.detail and "eyes" not in result.detail
    with translation.override("zh-hans"):
        result = LocalFaceVerifier().verify(selfie=out.getvalue(), reference=photoset.good(9).data)
    assert "暗" in result.detail and "/" not in result.detail  # one language, the reader's


def test_real_photographs_same_person_verifies_and_another_does_not():
    from pathlib import Path

    real = Path(__file__).resolve().parents[3].parent / "shared" / "photos" / "real"
    obama, obama3, biden = ((real / n).read_bytes() for n in ("obama.jpg", "obama3.jpg", "biden.jpg"))
    same = LocalFaceVerifier().verify(selfie=obama, reference=obama3)
    assert same.verified and same.metrics["distance"] < faces.MATCH_DISTANCE
    for selfie, reference in ((biden, obama3), (biden, obama), (obama, biden)):
        other = LocalFaceVerifier().verify(selfie=selfie, reference=reference)
        assert not other.verified and other.metrics["distance"] >= faces.MATCH_DISTANCE
