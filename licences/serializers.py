"""The licences API's contract: one serializer per request and per response, used by the views for
the output (and by the pages for the same fields) and by drf-spectacular for the schema."""

import segno
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from licences import tokens
from licences.links import receipt_url, share_url, verify_offline_url
from licences.models import ELicenceState, LicenceStatus, Sex

RECEIPT_SALT = "licences.receipt"
RECEIPT_MAX_AGE = 24 * 3600
QR_COLOURS = {"green": "#0a7f3f", "red": "#c62828"}
QR_COLOUR_CHOICES = list(QR_COLOURS)


def _licence_fields(source: str = "") -> dict:
    """The fields of a licence record as `GET licence` shows them, read from `source` (e.g. "licence.")."""

    def at(name: str) -> dict:
        return {"source": f"{source}{name}"} if source else {}

    return {
        "number_masked": serializers.CharField(**at("number_masked")),
        "name": serializers.CharField(**at("name")),
        "sex": serializers.ChoiceField(choices=Sex.choices, **at("sex")),
        "birth_date": serializers.DateField(**at("birth_date")),
        "nationality": serializers.CharField(**at("nationality")),
        "address": serializers.CharField(**at("address")),
        "first_issued_on": serializers.DateField(**at("first_issued_on")),
        "classes": serializers.ListField(child=serializers.CharField(), **at("classes")),
        "valid_from": serializers.DateField(**at("valid_from")),
        "valid_until": serializers.DateField(allow_null=True, help_text="null: long-term", **at("valid_until")),
        "issuing_authority": serializers.CharField(**at("issuing_authority")),
        "file_number_masked": serializers.CharField(**at("file_number_masked")),
        "status": serializers.ChoiceField(choices=LicenceStatus.choices, **at("status")),
        "points": serializers.IntegerField(**at("points")),
        "has_portrait": serializers.BooleanField(**at("has_portrait")),
    }


LicenceOut = type("LicenceOut", (serializers.Serializer,), _licence_fields())


class _ELicenceOwnFields(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.ChoiceField(choices=ELicenceState.choices)
    invalid_reason = serializers.CharField(allow_null=True)
    paper_required = serializers.BooleanField()
    issued_at = serializers.DateTimeField()
    qr_colour = serializers.ChoiceField(choices=QR_COLOUR_CHOICES, source="licence.qr_colour")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["invalid_reason"] = data["invalid_reason"] or None
        return data


# The e-licence with every field of `GET licence`.
ELicenceOut = type("ELicenceOut", (_ELicenceOwnFields,), _licence_fields("licence."))


QR_MASK = 4  # ISO/IEC 18004 mask 4: ((i // 2) + (j // 3)) % 2, blocks rather than a checkerboard


_DATETIME = serializers.DateTimeField()  # formats as the declared DateTimeFields do


class QROut(serializers.Serializer):
    """A freshly issued QR token (`elicence_qr_issue`); context: `request` and the `elicence`."""

    token = serializers.CharField()
    short_code = serializers.CharField()
    url = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    server_time = serializers.DateTimeField()
    lifetime_seconds = serializers.SerializerMethodField()
    colour = serializers.SerializerMethodField()
    svg = serializers.SerializerMethodField(
        help_text="the QR (of `url`) as an SVG data URI; empty with `?svg=0` (the display page draws it itself)"
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, issued) -> str:
        # What the QR holds: the verifier page with the signed token in the fragment (docs/offline.md).
        return verify_offline_url(self.context["request"], issued.token)

    def get_lifetime_seconds(self, issued) -> int:
        return tokens.QR_TOKEN_TTL

    @extend_schema_field(serializers.ChoiceField(choices=QR_COLOUR_CHOICES))
    def get_colour(self, issued) -> str:
        return self.context["elicence"].licence.qr_colour

    def get_svg(self, issued) -> str:
        return self._svg(self.get_url(issued), self.get_colour(issued))

    def _svg(self, url: str, colour: str) -> str:
        if not self.context.get("svg", True):
            return ""
        # A fixed mask pattern: choosing the "best" of eight costs 8 ms of pure Python per code, for a
        # code renewed every minute on a crisp phone screen where any mask reads (the browser test
        # decodes it with jsQR).
        return segno.make(url, error="m", mask=QR_MASK).svg_data_uri(scale=4, border=2, dark=QR_COLOURS[colour])

    def to_representation(self, issued) -> dict:
        """The declared fields (the schema) built directly, as VerificationOut does: every open display
        of an e-licence asks for a new code each minute, and building the fields was a fifth of that."""
        url, colour = self.get_url(issued), self.get_colour(issued)
        return {
            "token": issued.token,
            "short_code": issued.short_code,
            "url": url,
            "expires_at": _DATETIME.to_representation(issued.expires_at),
            "server_time": _DATETIME.to_representation(issued.server_time),
            "lifetime_seconds": self.get_lifetime_seconds(issued),
            "colour": colour,
            "svg": self._svg(url, colour),
        }


class VerificationLogOut(serializers.Serializer):
    at = serializers.DateTimeField(source="checked_at")
    organisation = serializers.CharField(source="organisation.name", allow_null=True)
    organisation_kind = serializers.CharField(source="organisation.kind", allow_null=True)
    method = serializers.CharField()
    purpose = serializers.CharField(allow_blank=True)
    result = serializers.CharField(help_text="`valid`, or the reason it was not")


class ShareIn(serializers.Serializer):
    purpose = serializers.CharField()
    valid_days = serializers.IntegerField()


class ShareOut(serializers.Serializer):
    """A shared copy; context: `request` (for its links)."""

    id = serializers.UUIDField()
    code = serializers.CharField()
    purpose = serializers.CharField()
    url = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, share) -> str:
        return share_url(self.context["request"], share.code)

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, share) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-share-download", args=[share.pk]))


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _token_or_share_code(attrs: dict) -> bool:
    return bool(attrs.get("token")) != bool(attrs.get("share_code"))


class VerificationIn(serializers.Serializer):
    token = serializers.CharField(required=False, help_text="QR token or the short code")
    share_code = serializers.CharField(required=False)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=100)

    def validate(self, attrs):
        if not _token_or_share_code(attrs):
            raise serializers.ValidationError(_("Send either a token or a share code."))
        return attrs

    @classmethod
    def plain(cls, data) -> dict | None:
        """What `validated_data` would be for the usual body (a JSON object whose fields above are
        strings), checked as the CharFields above check them (trimmed; each field's required, blank
        and maximum length; no NUL or lone surrogate) and by `validate`, without building the
        serializer: that took a fifth of a verification's time in Python. None for anything else, so
        that the serializer gives its own errors (licences/tests/test_verification_input.py compares the two)."""
        if type(data) is not dict:
            return None
        attrs = {}
        for name, field in cls._declared_fields.items():
            if name not in data:
                if field.required:
                    return None
                continue
            value = data[name]
            if type(value) is not str:
                return None
            value = value.strip()
            if "\x00" in value or (not value.isascii() and _has_surrogate(value)):
                return None
            if (not value and not field.allow_blank) or (
                field.max_length is not None and len(value) > field.max_length
            ):
                return None
            attrs[name] = value
        return attrs if _token_or_share_code(attrs) else None


class OfflineVerificationIn(serializers.Serializer):
    id = serializers.UUIDField(help_text="made by the device for this check: an upload repeated records it once")
    token = serializers.CharField(max_length=6000, help_text="the signed QR token (`EL1:…`) that was checked")
    checked_at = serializers.DateTimeField(help_text="when the device checked it (within the last 7 days)")
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=100)


class OfflineVerificationOut(serializers.Serializer):
    id = serializers.UUIDField()
    valid = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    checked_at = serializers.DateTimeField()


class SignedReceiptOut(serializers.Serializer):
    receipt = serializers.DictField(help_text="what the verifier saw, as signed")
    signature = serializers.CharField(help_text="Ed25519 over the canonical JSON of `receipt`, base64url")
    key_id = serializers.CharField()


class VerificationOut(serializers.Serializer):
    """The answer to a verification (`VerificationOutcome`); context: `request` (for the receipt link)."""

    id = serializers.UUIDField(source="result.id")
    valid = serializers.BooleanField(source="result.valid")
    reason = serializers.CharField(source="result.reason", allow_null=True)
    paper_required = serializers.BooleanField(source="result.paper_required")
    checked_at = serializers.DateTimeField(source="result.checked_at")
    holder = serializers.DictField(source="result.holder", help_text="the fields this verifier may see")
    receipt = SignedReceiptOut()
    receipt_url = serializers.SerializerMethodField(help_text="the receipt as a PDF, for 24 hours")

    @extend_schema_field(OpenApiTypes.URI)
    def get_receipt_url(self, outcome) -> str:
        signed_id = signing.dumps(str(outcome.verification.pk), salt=RECEIPT_SALT)
        return receipt_url(self.context["request"], signed_id)

    def to_representation(self, outcome) -> dict:
        """The declared fields (the schema) built directly: the outcome's values are already what they
        show, and building the fields on every call was a tenth of a verification's time."""
        return {**outcome.result, "receipt": outcome.receipt, "receipt_url": self.get_receipt_url(outcome)}


class ReceiptKeyOut(serializers.Serializer):
    algorithm = serializers.CharField()
    key_id = serializers.CharField()
    public_key = serializers.CharField()


class ReceiptCheckIn(serializers.Serializer):
    receipt = serializers.DictField()
    signature = serializers.CharField()


class ReceiptCheckOut(serializers.Serializer):
    authentic = serializers.BooleanField()


class AuthorityLicenceIn(serializers.Serializer):
    """For the schema: the record as `GET licence` with full numbers; the service checks every field."""

    number = serializers.CharField(help_text="the full licence number (the holder's ID number)")
    name = serializers.CharField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    birth_date = serializers.DateField()
    nationality = serializers.CharField(required=False)
    address = serializers.CharField()
    first_issued_on = serializers.DateField()
    classes = serializers.ListField(child=serializers.CharField())
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True)
    issuing_authority = serializers.CharField()
    file_number = serializers.CharField()
    status = serializers.ChoiceField(choices=LicenceStatus.choices, required=False)
    points = serializers.IntegerField(required=False)


class PortraitIn(serializers.Serializer):
    number = serializers.CharField(help_text="the full licence number")
    portrait = serializers.ImageField()


class IdentityPhotoIn(serializers.Serializer):
    id_number = serializers.CharField(help_text="the full resident ID number")
    photo = serializers.ImageField()


class IdentityPhotoOut(serializers.Serializer):
    id_number_masked = serializers.CharField()
    created = serializers.BooleanField(help_text="false when an earlier photo was replaced")
