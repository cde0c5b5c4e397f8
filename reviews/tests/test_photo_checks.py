"""The photo checker: every code of photo-rules.md appears on a photo made to show it and not on a
clean photo; bad files never crash it."""

import io
import json
import time

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from reviews import photo_checks
from reviews.photo_checks import CODES, LIMITS, check_photo
from tests import photoset

CLEAN_SEEDS = (1, 2, 7)


@pytest.fixture(scope="module")
def clean_photos():
    return [photoset.good(seed) for seed in CLEAN_SEEDS]


def test_every_code_has_a_generator():
    assert set(photoset.GENERATORS) == set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_code_appears_on_a_photo_made_to_show_it(code):
    # One photo per code from the tuning half; recall over many seeds is bench/photo_eval.py's job.
    sample = photoset.GENERATORS[code](4)
    result = check_photo(sample.data, now=photoset.NOW)
    assert code in result.codes, (sample.name, result.codes, result.metrics)
    problem = next(p for p in result.problems if p.code == code)
    assert problem.messages["zh-hans"] and problem.messages["en"]
    assert json.dumps(result.as_dict())  # every value is JSON-serialisable


def test_no_code_appears_on_clean_photos(clean_photos):
    for sample in clean_photos:
        result = check_photo(sample.data, now=photoset.NOW)
        assert result.codes == [], (sample.name, result.codes, result.metrics)


def test_clean_photo_is_clean_and_measured(clean_photos):
    result = check_photo(clean_photos[0].data, now=photoset.NOW)
    assert result.clean
    for key in (
        "width",
        "height",
        "faces",
        "head_ratio",
        "roll_degrees",
        "face_luminance",
        "blur_variance",
        "background_lightness",
        "eye_openness",
        "lighting_ratio",
        "face_box",
    ):
        assert key in result.metrics, key
    assert result.metrics["faces"] == 1
    assert LIMITS["head_min"] <= result.metrics["head_ratio"] <= LIMITS["head_max"]


def test_problems_carry_value_and_limit():
    result = check_photo(photoset.head_tilted(1).data, now=photoset.NOW)
    tilted = next(p for p in result.problems if p.code == "head_tilted")
    assert abs(tilted.value) > LIMITS["roll_degrees"] and tilted.limit == LIMITS["roll_degrees"]
    assert tilted.as_dict("en")["message"].startswith("The head is tilted")


# --- bad input: never a crash, never unbounded; each gets the right code --------------------------
def _png(image: Image.Image, **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **kw)
    return out.getvalue()


def _good_image(seed=1) -> Image.Image:
    return Image.open(io.BytesIO(photoset.good(seed).data))


BAD_FILES = {
    "zero bytes": (b"", "unreadable"),
    "truncated JPEG": (photoset.good(1).data[:5000], "unreadable"),
    "PNG with trailing HTML": (
        _png(Image.new("RGB", (300, 400), "white")) + b"<html><script>x()</script>",
        "unreadable",
    ),
    "JPEG with trailing PHP": (photoset.good(1).data + b"<?php echo 1; ?>", "unreadable"),
    "SVG renamed .jpg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "unreadable"),
    "GIF renamed .jpg": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "unreadable"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_unreadable(name):
    data, code = BAD_FILES[name]
    assert check_photo(data).codes == [code]


def test_huge_pixel_png_is_refused_quickly():
    data = _png(Image.new("1", (30000, 30000)), optimize=True)  # 900 Mpx in a small file
    started = time.perf_counter()
    assert check_photo(data).codes == ["unreadable"]
    assert time.perf_counter() - started < 5  # the header is enough: nothing is decoded


def test_ten_megabyte_file_is_too_large_without_decoding():
    data = b"\xff\xd8\xff\xe0" + bytes(10 * 1024 * 1024)
    result = check_photo(data)
    assert result.codes == ["file_too_large"]
    assert result.problems[0].value == len(data) and result.problems[0].limit == photo_checks.MAX_BYTES


def test_cmyk_jpeg_is_read_as_a_colour_photo():
    out = io.BytesIO()
    _good_image().convert("CMYK").save(out, format="JPEG", quality=92)
    result = check_photo(out.getvalue(), now=photoset.NOW)
    assert result.metrics["mode"] == "CMYK"
    assert "unreadable" not in result.codes and "grayscale" not in result.codes
    assert result.metrics["faces"] == 1


def test_sixteen_bit_png_is_scaled_not_clipped():
    grey = np.asarray(_good_image().convert("L"), dtype=np.uint16) * 257
    data = _png(Image.fromarray(grey))  # mode I;16
    result = check_photo(data, now=photoset.NOW)
    assert result.metrics["mode"].startswith("I")
    assert result.metrics["faces"] == 1  # a clipped image would be white and faceless
    assert "grayscale" in result.codes and "too_bright" not in result.codes


def test_photo_without_exif_is_not_too_old():
    out = io.BytesIO()
    _good_image().save(out, format="JPEG")
    assert "too_old" not in check_photo(out.getvalue(), now=photoset.NOW).codes


def test_exif_orientation_is_applied():
    rotated = _good_image().rotate(90, expand=True)  # stored sideways, as phones do
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = io.BytesIO()
    rotated.save(out, format="JPEG", exif=exif.tobytes())
    result = check_photo(out.getvalue(), now=photoset.NOW)
    assert (result.metrics["width"], result.metrics["height"]) == _good_image().size
    assert result.clean, result.codes


# --- the command ---------------------------------------------------------------------------------
def test_check_photo_command_prints_one_json_line_per_file(tmp_path, capsys):
    good = tmp_path / "good.jpg"
    good.write_bytes(photoset.good(1).data)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    call_command("check_photo", str(good), str(bad), str(tmp_path / "missing.jpg"))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(good), str(bad), str(tmp_path / "missing.jpg")]
    assert lines[0]["problems"] == [] and lines[0]["metrics"]["faces"] == 1
    assert lines[1]["problems"] == ["unreadable"]
    assert "error" in lines[2]


# --- the seed's dress and pose rules --------------------------------------------------------------
DRESS_AND_POSE = ("head_covering", "face_occluded", "shoulders_not_level", "light_clothing", "hands_visible")


@pytest.mark.parametrize("code", DRESS_AND_POSE)
def test_dress_and_pose_fault_is_flagged_and_the_same_shot_without_it_is_not(code):
    for seed in (4, 7):
        faulty = check_photo(photoset.GENERATORS[code](seed).data, now=photoset.NOW)
        problem = next((p for p in faulty.problems if p.code == code), None)
        assert problem is not None, (code, seed, faulty.codes, faulty.metrics)
        assert problem.value is not None and problem.limit is not None  # staff see what was measured
        clean = check_photo(photoset.good(seed).data, now=photoset.NOW)
        assert code not in clean.codes, (code, seed, clean.metrics)


def test_dress_and_pose_measures_are_stored_on_a_clean_photo(clean_photos):
    metrics = check_photo(clean_photos[1].data, now=photoset.NOW).metrics  # framed with the shoulders in
    for key in (
        "lower_face_skin",
        "crown_ratio",
        "crown_texture",
        "shoulder_degrees",
        "clothing_lightness",
        "hand_skin",
    ):
        assert key in metrics, key
    assert metrics["clothing_lightness"] < LIMITS["clothing_lightness"]
    assert abs(metrics["shoulder_degrees"]) < LIMITS["shoulder_degrees"]


def test_a_white_shirt_under_a_dark_jacket_is_not_light_clothing():
    shot = photoset.Shot.random(3)
    shot.shirt = True
    image, _ = photoset.render(shot)
    result = check_photo(photoset.encode(image), now=photoset.NOW)
    assert "light_clothing" not in result.codes, result.metrics


def test_a_covered_face_is_reported_as_covered_not_as_missing():
    # dlib's detector does not find a face behind a mask; the eyes above it are found.
    result = check_photo(photoset.face_occluded(0).data, now=photoset.NOW)
    assert "face_occluded" in result.codes and "no_face" not in result.codes, result.metrics
    assert result.metrics["lower_face_skin"] < LIMITS["lower_face_skin"]


def test_real_people_on_white_are_clean_with_every_measure_taken():
    # Cut from the real photographs and re-photographed on white (photoset.good_real): the outline
    # measures run on them, not only on the generated portrait.
    for seed in (0, 1, 2):
        sample = photoset.good_real(seed)
        result = check_photo(sample.data, now=photoset.NOW)
        assert result.codes == [], (sample.name, result.codes, result.metrics)
        for key in ("lower_face_skin", "crown_ratio", "hand_skin"):
            assert key in result.metrics, (sample.name, key)
        if seed == 0:  # framed with the suit in the picture
            assert result.metrics["clothing_lightness"] < LIMITS["clothing_lightness"]
            assert abs(result.metrics["shoulder_degrees"]) < LIMITS["shoulder_degrees"]


def test_real_photographs_raise_none_of_the_dress_and_pose_codes():
    from pathlib import Path

    real = Path(__file__).resolve().parents[2].parent / "shared" / "photos" / "real"
    for name in ("obama.jpg", "obama3.jpg", "biden.jpg"):
        result = check_photo((real / name).read_bytes())
        assert result.metrics["faces"] == 1
        assert not set(DRESS_AND_POSE) & set(result.codes), (name, result.codes)
        # A suit and tie is dark clothing; the lower face is bare skin.
        assert result.metrics["lower_face_skin"] >= LIMITS["lower_face_skin"], name


def _analysed(sample):
    from portal import faces
    from portal.images import decode_image

    rgb = faces.analysis_copy(decode_image(sample.data, reencode=False).image)
    return rgb, faces.grey(rgb)


def test_the_fast_colour_measures_give_the_straightforward_values(clean_photos):
    # The OpenCV forms (issue 12) must measure exactly what the plain numpy formulas measured.
    rgb, _gray = _analysed(clean_photos[0])
    lab = photo_checks._lab(rgb)
    import cv2

    reference = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    reference[..., 0] *= 100 / 255
    reference[..., 1:] -= 128
    assert np.allclose(lab, reference, atol=1e-4)
    background = lab[:20].reshape(-1, 3).mean(axis=0)
    straightforward = np.linalg.norm(lab - background.astype(np.float32), axis=2) > 18
    fast = photo_checks._lab_distance_above(lab, background, 18)
    assert 0.2 < straightforward.mean() < 0.9  # a real mix of background and person
    assert (fast == straightforward).all()
    channels = rgb.astype(np.int16)
    spread = np.maximum.reduce(
        [
            abs(channels[..., 0] - channels[..., 1]),
            abs(channels[..., 1] - channels[..., 2]),
            abs(channels[..., 0] - channels[..., 2]),
        ]
    ).mean()
    assert photo_checks.check_photo(clean_photos[0].data).metrics["colour_spread"] == pytest.approx(spread, abs=1e-3)


def test_the_eye_cascade_looks_at_the_eyes_and_nowhere_else(clean_photos):
    from portal import faces

    rgb, gray = _analysed(clean_photos[0])
    face = faces.find_faces(rgb, gray)[0]
    assert faces.eye_metrics(face, gray)["haar_eyes"] == 1
    # Both eye boxes painted over with the cheeks' grey: the cascade sees no eye, even though the
    # brows, nostrils and mouth are still there.
    covered = gray.copy()
    span = face.eye_span
    for x, y in face.eye_centres:
        covered[int(y - 0.35 * span) : int(y + 0.35 * span), int(x - 0.5 * span) : int(x + 0.5 * span)] = int(
            np.median(
                gray[
                    int(face.points[30, 1]) : int(face.points[33, 1]), int(face.points[31, 0]) : int(face.points[35, 0])
                ]
            )
        )
    hidden = faces.eye_metrics(face, covered)
    assert hidden["haar_eyes"] == 0 and faces.eyes_hidden(hidden)


def test_faces_are_found_the_same_with_or_without_the_grey_copy(clean_photos):
    from portal import faces

    rgb, gray = _analysed(clean_photos[1])
    given, computed = faces.find_faces(rgb, gray), faces.find_faces(rgb)
    assert len(given) == len(computed) == 1
    assert given[0].box == computed[0].box and (given[0].points == computed[0].points).all()


def test_a_large_photo_is_measured_as_the_same_shot_at_upload_size():
    """Photos from phones arrive up to IMAGE_MAX_SIDE tall: the analysis copy reduces them by a whole
    factor (a box) before its bilinear step, so the same shot measures alike at either size, and a blur
    is still seen (no aliasing of the big image's pixels into the sharpness measure)."""
    from PIL import ImageFilter

    from portal import faces

    shot = photoset.Shot.random(2)
    shot.width, shot.height = 600, 800
    small = check_photo(photoset.encode(photoset.render(shot)[0]), now=photoset.NOW)
    shot.width, shot.height = 1800, 2400
    image = photoset.render(shot)[0]
    large = check_photo(photoset.encode(image), now=photoset.NOW)
    assert small.codes == large.codes == [], (small.codes, large.codes)
    for measure, within in (("centre_offset", 0.01), ("head_ratio", 0.02), ("roll_degrees", 1.0)):
        assert abs(small.metrics[measure] - large.metrics[measure]) < within, measure
    assert 0.6 < large.metrics["blur_variance"] / small.metrics["blur_variance"] < 1.6
    blurred = check_photo(photoset.encode(image.filter(ImageFilter.GaussianBlur(12))), now=photoset.NOW)
    assert "blurry" in blurred.codes, blurred.metrics

    assert faces.analysis_copy(image).shape == (480, 360, 3)  # 2400 -> 480 (a box of 5, then bilinear)
    assert faces.analysis_copy(image.resize((720, 960))).shape == (480, 360, 3)  # a box of 2 alone
    assert faces.analysis_copy(image.resize((300, 400))).shape == (400, 300, 3)  # small: as it is


def test_a_face_mask_up_to_the_eyes_is_seen_although_it_covers_the_skin_sample():
    """Seed 27's light blue mask reaches the cheeks under the eyes and the bridge, where the skin colour
    is sampled: the sample is then the mask's (not reddish), and the forehead is the face's colour."""
    from portal import faces
    from portal.images import decode_image

    sample = photoset.GENERATORS["face_occluded"](27)
    result = check_photo(sample.data, now=photoset.NOW)
    assert "face_occluded" in result.codes, result.metrics
    rgb = faces.analysis_copy(decode_image(sample.data, reencode=False).image)
    lab = photo_checks._lab(rgb)
    face = faces.find_faces(rgb)[0]
    sampled = photo_checks._skin_colour(lab, face)
    own = photo_checks._own_colour_above_a_covering(lab, face, sampled)
    assert sampled[1] < photo_checks.SKIN_MIN_REDNESS <= own[1]  # the mask's colour, then the forehead's
