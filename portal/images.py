"""Safe decoding of uploaded images (security.md, "Uploaded images").

Size limit before reading, JPEG/PNG recognised by content, a pixel cap well below Pillow's
decompression-bomb threshold, a full decode, EXIF orientation applied, and a re-encode that
drops every piece of metadata. Callers store or analyse only the re-encoded bytes.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from portal.errors import DomainError

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class SafeImage:
    image: Image.Image  # RGB, orientation applied
    jpeg: bytes  # re-encoded, no metadata
    source_format: str
    exif: dict  # the few tags we read (Software, DateTimeOriginal, Orientation); the rest is dropped
    source_mode: str = ""


EXIF_SOFTWARE = 0x0131
EXIF_ORIENTATION = 0x0112
EXIF_DATETIME = 0x0132
EXIF_IFD = 0x8769
EXIF_DATETIME_ORIGINAL = 0x9003


def _trailing_payload(data: bytes) -> bool:
    """True when bytes follow the image's end marker: a polyglot (e.g. PNG + HTML) is refused."""
    if data.startswith(PNG_MAGIC):
        end = data.rfind(b"IEND")
        return end == -1 or len(data[end + 8 :].strip(b"\x00")) > 0
    end = data.rfind(b"\xff\xd9")
    if end == -1:
        return False  # truncated: the decoder decides
    tail = data[end + 2 :].strip(b"\x00\r\n ")
    # Some cameras pad after EOI; markup or a large tail is not a photo.
    return bool(tail) and (b"<" in tail or len(tail) > 4096)


def _read_exif(image: Image.Image) -> dict:
    exif = image.getexif()
    sub = exif.get_ifd(EXIF_IFD)
    found = {
        "software": exif.get(EXIF_SOFTWARE),
        "orientation": exif.get(EXIF_ORIENTATION),
        "datetime": exif.get(EXIF_DATETIME),
        "datetime_original": sub.get(EXIF_DATETIME_ORIGINAL),
    }
    return {k: (v.strip("\x00 ") if isinstance(v, str) else v) for k, v in found.items() if v not in (None, "")}


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits instead of letting convert() clip everything to white.
        import numpy as np

        array = np.asarray(image, dtype=np.uint32)
        peak = 65535 if array.max() > 255 else 255
        return Image.fromarray((array * 255 // peak).astype("uint8"), "L").convert("RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent parts become white (a photo background), not black.
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image if image.mode == "RGB" else image.convert("RGB")  # no copy of what is RGB already


def _in_srgb(rgb: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Pixels in sRGB: an embedded profile of another colour space is applied, then dropped."""
    if not icc_profile:
        return rgb
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if "srgb" in (ImageCms.getProfileDescription(source) or "").lower():
            return rgb
        return ImageCms.profileToProfile(rgb, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return rgb  # an unusable profile: the pixels as they are


def pixels_only_jpeg(rgb: Image.Image) -> bytes:
    """A JPEG of the pixels alone: no comment, EXIF, ICC profile or any other segment of the source."""
    rgb.info = {}  # Pillow writes a comment kept in `info`; nothing of the upload may ride along
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=90)
    return out.getvalue()


def read_upload(upload, *, max_bytes: int | None = None) -> bytes:
    """Read an uploaded file, refusing it before reading when it is over the limit."""
    limit = max_bytes or settings.UPLOAD_MAX_BYTES
    if upload is None:
        raise DomainError("unreadable", _("No image was sent."))
    if upload.size is not None and upload.size > limit:
        raise DomainError("file_too_large", _("The image is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError("file_too_large", _("The image is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)})
    return data


def decode_image(data: bytes, *, max_pixels: int | None = None, reencode: bool = True) -> SafeImage:
    cap = max_pixels or settings.IMAGE_MAX_PIXELS
    unreadable = DomainError("unreadable", _("The file is not a readable JPEG or PNG image."))
    if not data or not (data.startswith(JPEG_MAGIC) or data.startswith(PNG_MAGIC)):
        raise unreadable
    if _trailing_payload(data):
        raise unreadable
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
            if image.width * image.height > cap:
                raise DomainError("unreadable", _("The image has too many pixels."))
            source_format, source_mode = image.format, image.mode
            exif = _read_exif(image)
            # Never hold more pixels than an ID photo needs: a JPEG decodes straight at 1/2, 1/4 or
            # 1/8 size (DCT scaling); anything still larger is shrunk before any converted copy is made.
            # This bounds peak memory per upload (a 6000×6000 1-bit PNG drove a process to ~500 MB).
            side = settings.IMAGE_MAX_SIDE
            if image.format == "JPEG":
                image.draft("RGB", (side, side))
            image.load()
            if max(image.size) > side:
                image.thumbnail((side, side), Image.Resampling.LANCZOS)
            if exif.get("orientation", 1) != 1:  # exif_transpose copies even an upright image
                image = ImageOps.exif_transpose(image)
            rgb = _in_srgb(_to_rgb(image), image.info.get("icc_profile"))
    except DomainError:
        raise
    except Exception:  # Pillow raises many types for corrupt files; all mean "unreadable"
        raise unreadable from None
    jpeg = b""
    if reencode:  # what is stored or sent on is always the re-encoded copy, never the upload
        jpeg = pixels_only_jpeg(rgb)
    return SafeImage(image=rgb, jpeg=jpeg, source_format=source_format, exif=exif, source_mode=source_mode)
