"""Remake the example pictures of the citizens' photo rules (static/img/photo-rules/) from the
evaluation set's generators (tests/photoset.py), 90×120 JPEGs.

    .venv/bin/python scripts/photo_rule_examples.py
"""

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from PIL import Image  # noqa: E402

from tests import photoset  # noqa: E402


def main() -> None:
    out = ROOT / "static" / "img" / "photo-rules"
    out.mkdir(parents=True, exist_ok=True)
    tilted, _alpha = photoset.render(photoset._with_shoulders(2, shoulder_tilt=-17))  # clearer than the set's
    pictures = {
        "head_covering": Image.open(io.BytesIO(photoset.head_covering(4).data)),
        "face_occluded": Image.open(io.BytesIO(photoset.face_occluded(3).data)),
        "shoulders_not_level": tilted,
        "light_clothing": Image.open(io.BytesIO(photoset.light_clothing(3).data)),
        "hands_visible": Image.open(io.BytesIO(photoset.hands_visible(4).data)),
    }
    for name, image in pictures.items():
        image.convert("RGB").resize((90, 120), Image.LANCZOS).save(out / f"{name}.jpg", quality=82, optimize=True)
        print(out / f"{name}.jpg")


if __name__ == "__main__":
    main()
