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
    exif: dict


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


def decode_image(data: bytes, *, max_pixels: int | None = None) -> SafeImage:
    cap = max_pixels or settings.IMAGE_MAX_PIXELS
    unreadable = DomainError("unreadable", _("The file is not a readable JPEG or PNG image."))
    if not data or not (data.startswith(JPEG_MAGIC) or data.startswith(PNG_MAGIC)):
        raise unreadable
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
            if image.width * image.height > cap:
                raise DomainError("unreadable", _("The image has too many pixels."))
            source_format = image.format
            exif = {k: v for k, v in image.getexif().items() if isinstance(v, str | int | float)}
            image.load()
            image = ImageOps.exif_transpose(image)
            rgb = image.convert("RGB")
    except DomainError:
        raise
    except Exception:  # Pillow raises many types for corrupt files; all mean "unreadable"
        raise unreadable from None
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=90)
    return SafeImage(image=rgb, jpeg=out.getvalue(), source_format=source_format, exif=exif)
