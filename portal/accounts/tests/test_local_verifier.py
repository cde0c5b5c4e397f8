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
