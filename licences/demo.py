"""Demo licence records for `seed_demo`: one with a portrait and an e-licence, one without portrait,
one detained."""

import io
from datetime import date

from PIL import Image, ImageDraw

from licences.models import ELicenceState, Licence
from licences.services import elicence_issue, licence_upsert
from portal.accounts.models import User
from portal.accounts.validators import id_number_with_check_digit


def _portrait() -> bytes:
    """A drawn head-and-shoulders on white: a stand-in portrait, not a photo of anyone."""
    image = Image.new("RGB", (360, 480), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse([95, 340, 265, 560], fill=(30, 40, 60))  # shoulders
    draw.rectangle([155, 280, 205, 360], fill=(232, 196, 170))  # neck
    draw.ellipse([105, 90, 255, 300], fill=(238, 204, 178))  # face
    draw.pieslice([95, 60, 265, 230], 180, 360, fill=(40, 30, 25))  # hair
    for x in (150, 210):
        draw.ellipse([x - 9, 180, x + 9, 192], fill=(40, 30, 25))
    draw.arc([150, 220, 210, 260], 20, 160, fill=(160, 80, 80), width=4)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


RECORDS = [
    # ID body (17 digits), name, sex, classes, status, points, portrait, first issued, valid from, valid until
    ("11010519900307123", "张三", "M", ["C1"], "normal", 2, True, date(2012, 5, 4), date(2022, 5, 4), date(2032, 5, 4)),
    ("31010119850612031", "王保险", "M", ["C1", "E"], "normal", 0, False, date(2008, 3, 1), date(2020, 3, 1), None),
    (
        "44030519920815066",
        "孙七",
        "F",
        ["A1", "A2"],
        "detained",
        6,
        True,
        date(2015, 9, 9),
        date(2021, 9, 9),
        date(2027, 9, 9),
    ),
    # In the registers, no account yet: 王明 registers online with the demo selfie (README); 陈刚 has an
    # identity photo too (another person: the demo selfie does not verify him); 刘洋 has no photo on
    # record anywhere, so his face step sends him to a counter.
    (
        "11010519800808081",
        "王明",
        "M",
        ["C1"],
        "normal",
        0,
        False,
        date(2010, 6, 1),
        date(2020, 6, 1),
        date(2030, 6, 1),
    ),
    (
        "11010519850505052",
        "刘洋",
        "M",
        ["C2"],
        "normal",
        0,
        False,
        date(2015, 3, 3),
        date(2021, 3, 3),
        date(2027, 3, 3),
    ),
]


def seed_licences() -> list[Licence]:
    portrait = _portrait()
    made = []
    for body, name, sex, classes, status, points, with_portrait, first, start, until in RECORDS:
        number = id_number_with_check_digit(body)
        data = {
            "name": name,
            "sex": sex,
            "birth_date": f"{body[6:10]}-{body[10:12]}-{body[12:14]}",
            "address": "北京市朝阳区示范路 1 号" if body.startswith("11") else "上海市黄浦区示范路 2 号",
            "first_issued_on": first.isoformat(),
            "classes": classes,
            "valid_from": start.isoformat(),
            "valid_until": until.isoformat() if until else "",
            "issuing_authority": "北京市公安局公安交通管理局" if body.startswith("11") else "上海市公安局交通警察总队",
            "file_number": f"1101{body[-8:]}",
            "status": status,
            "points": points,
        }
        licence, _created = licence_upsert(
            actor="seed_demo", number=number, data=data, portrait=portrait if with_portrait else None
        )
        made.append(licence)
        holder = User.objects.filter(id_number_hash=licence.number_hash, is_active=True).first()
        if (
            holder
            and status == "normal"
            and with_portrait
            and not licence.elicences.filter(state=ELicenceState.VALID).exists()
        ):
            elicence_issue(licence=licence, holder=holder, actor="seed_demo")
    return made
