"""Licence API (api.md "Licence and e-licence", "Verification", authority endpoints): thin views."""

import segno
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from licences import pdf, selectors, services, tokens
from licences.models import Verification
from portal.api import ERRORS, ErrorSerializer, validated
from portal.errors import DomainError, NotFoundError
from portal.images import read_upload
from portal.ratelimit import client_ip
from portal.responses import private_file

RECEIPT_SALT = "licences.receipt"
RECEIPT_MAX_AGE = 24 * 3600


def _mine_or_404(user):
    elicence = services.elicence_of(user)
    if elicence is None:
        raise NotFoundError("not_found", _("You have no e-licence."))
    return elicence


def pdf_response(content: bytes, filename: str):
    return private_file(content, content_type="application/pdf", filename=filename, inline=False)


def verify_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("licences:verify", args=[token]))


def share_url(request, code: str) -> str:
    return request.build_absolute_uri(reverse("licences:verify_share", args=[code]))


def qr_payload(request, elicence) -> dict:
    issued = services.elicence_qr(elicence=elicence)
    url = verify_url(request, issued.token)
    colour = "#0a7f3f" if services.qr_colour(elicence.licence) == "green" else "#c62828"
    return {
        "token": issued.token,
        "short_code": issued.short_code,
        "url": url,
        "expires_at": issued.expires_at.isoformat(),
        "server_time": issued.server_time.isoformat(),
        "lifetime_seconds": tokens.QR_TOKEN_TTL,
        "colour": services.qr_colour(elicence.licence),
        "svg": segno.make(url, error="m").svg_data_uri(scale=4, border=2, dark=colour),
    }


LicenceOut = inline_serializer(
    "LicenceOut",
    {
        "number_masked": serializers.CharField(),
        "name": serializers.CharField(),
        "sex": serializers.CharField(),
        "birth_date": serializers.DateField(),
        "nationality": serializers.CharField(),
        "address": serializers.CharField(),
        "first_issued_on": serializers.DateField(),
        "classes": serializers.ListField(child=serializers.CharField()),
        "valid_from": serializers.DateField(),
        "valid_until": serializers.DateField(allow_null=True),
        "issuing_authority": serializers.CharField(),
        "file_number_masked": serializers.CharField(),
        "status": serializers.CharField(),
        "points": serializers.IntegerField(),
        "has_portrait": serializers.BooleanField(),
    },
)


class LicenceView(APIView):
    @extend_schema(tags=["licence"], responses={200: LicenceOut, 404: ErrorSerializer})
    def get(self, request):
        licence = services.licence_of(request.user)
        if licence is None:
            raise NotFoundError("no_licence_record", _("No licence record matches your ID number."))
        return Response(selectors.licence_payload(licence))


class ELicenceView(APIView):
    @extend_schema(
        tags=["licence"],
        responses={
            200: inline_serializer(
                "ELicenceOut",
                {
                    "id": serializers.UUIDField(),
                    "state": serializers.ChoiceField(choices=["valid", "invalid"]),
                    "invalid_reason": serializers.CharField(allow_null=True),
                    "paper_required": serializers.BooleanField(),
                    "issued_at": serializers.DateTimeField(),
                    "qr_colour": serializers.ChoiceField(choices=["green", "red"]),
                },
            ),
            404: ErrorSerializer,
        },
        description="The e-licence with every field of `GET licence`.",
    )
    def get(self, request):
        return Response(selectors.elicence_payload(_mine_or_404(request.user)))


class ELicenceQRView(APIView):
    @extend_schema(
        tags=["licence"],
        responses={
            200: inline_serializer(
                "QROut",
                {
                    "token": serializers.CharField(),
                    "short_code": serializers.CharField(),
                    "url": serializers.URLField(),
                    "expires_at": serializers.DateTimeField(),
                    "server_time": serializers.DateTimeField(),
                    "lifetime_seconds": serializers.IntegerField(),
                    "colour": serializers.CharField(),
                    "svg": serializers.CharField(help_text="the QR as an SVG data URI"),
                },
            ),
            409: OpenApiResponse(ErrorSerializer, description="the e-licence is not valid"),
        },
    )
    def get(self, request):
        response = Response(qr_payload(request, _mine_or_404(request.user)))
        response["Cache-Control"] = "no-store"
        return response


VerificationLogOut = inline_serializer(
    "VerificationLogOut",
    {
        "at": serializers.DateTimeField(),
        "organisation": serializers.CharField(allow_null=True),
        "organisation_kind": serializers.CharField(allow_null=True),
        "method": serializers.CharField(),
        "purpose": serializers.CharField(),
        "result": serializers.CharField(),
    },
)


class ELicenceVerificationsView(APIView):
    @extend_schema(tags=["licence"], responses={200: VerificationLogOut})
    def get(self, request):
        rows = services.verifications_for_holder(request.user)[:200]
        return Response([selectors.verification_payload(v) for v in rows])


class ShareIn(serializers.Serializer):
    purpose = serializers.CharField()
    valid_days = serializers.IntegerField()


ShareOut = inline_serializer(
    "ShareOut",
    {
        "id": serializers.UUIDField(),
        "code": serializers.CharField(),
        "purpose": serializers.CharField(),
        "url": serializers.URLField(),
        "expires_at": serializers.DateTimeField(),
        "revoked_at": serializers.DateTimeField(allow_null=True),
        "download_url": serializers.URLField(),
    },
)


def share_payload(request, share) -> dict:
    return {
        "id": str(share.pk),
        "code": share.code,
        "purpose": share.purpose,
        "url": share_url(request, share.code),
        "expires_at": share.expires_at.isoformat(),
        "revoked_at": share.revoked_at.isoformat() if share.revoked_at else None,
        "download_url": request.build_absolute_uri(reverse("api-share-download", args=[share.pk])),
    }


class SharesView(APIView):
    @extend_schema(tags=["licence"], responses={200: ShareOut})
    def get(self, request):
        elicence = services.elicence_of(request.user)
        shares = elicence.shares.all() if elicence else []
        return Response([share_payload(request, s) for s in shares])

    @extend_schema(tags=["licence"], request=ShareIn, responses={201: ShareOut, **ERRORS})
    def post(self, request):
        share = services.share_create(user=request.user, **validated(ShareIn, request), ip=client_ip(request))
        return Response(share_payload(request, share), status=201)


class ShareDetailView(APIView):
    @extend_schema(tags=["licence"], responses={204: None, 404: ErrorSerializer})
    def delete(self, request, share_id):
        services.share_revoke(user=request.user, share_id=share_id, ip=client_ip(request))
        return Response(status=204)


class ShareDownloadView(APIView):
    @extend_schema(tags=["licence"], responses={(200, "application/pdf"): bytes, 404: ErrorSerializer})
    def get(self, request, share_id):
        share = services.share_get(user=request.user, share_id=share_id)
        return pdf_response(share_pdf_bytes(request, share), f"elicence-share-{share.code}.pdf")


def share_pdf_bytes(request, share) -> bytes:
    licence = share.elicence.licence
    portrait = licence.portrait.read() if licence.has_portrait else None
    return pdf.share_pdf(share=share, verify_url=share_url(request, share.code), portrait=portrait)


class VerificationIn(serializers.Serializer):
    token = serializers.CharField(required=False, help_text="QR token or the short code")
    share_code = serializers.CharField(required=False)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=100)

    def validate(self, attrs):
        if bool(attrs.get("token")) == bool(attrs.get("share_code")):
            raise serializers.ValidationError(_("Send either a token or a share code."))
        return attrs


def verification_response(request, outcome) -> dict:
    signed_id = signing.dumps(str(outcome.verification.pk), salt=RECEIPT_SALT)
    return {
        **outcome.result,
        "receipt": outcome.receipt,
        "receipt_url": request.build_absolute_uri(reverse("api-receipt", args=[signed_id])),
    }


class VerificationsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["verification"],
        request=VerificationIn,
        responses={
            200: inline_serializer(
                "VerificationOut",
                {
                    "id": serializers.UUIDField(),
                    "valid": serializers.BooleanField(),
                    "reason": serializers.CharField(allow_null=True),
                    "paper_required": serializers.BooleanField(),
                    "checked_at": serializers.DateTimeField(),
                    "holder": serializers.DictField(),
                    "receipt": serializers.DictField(help_text="signed receipt: {receipt, signature, key_id}"),
                    "receipt_url": serializers.URLField(help_text="the receipt as a PDF, for 24 hours"),
                },
            ),
            **ERRORS,
        },
        description="Anonymous callers get `holder = {name_masked}`; members of an approved organisation get "
        "the fields of their kind (police: all; insurer, car rental, employer: name, classes, validity, status).",
    )
    def post(self, request):
        outcome = services.verification_record(
            verifier=request.user, **validated(VerificationIn, request), ip=client_ip(request)
        )
        return Response(verification_response(request, outcome))


class ReceiptView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=["verification"], responses={(200, "application/pdf"): bytes, 404: ErrorSerializer})
    def get(self, request, signed_id):
        try:
            verification_id = signing.loads(signed_id, salt=RECEIPT_SALT, max_age=RECEIPT_MAX_AGE)
        except signing.BadSignature:
            raise NotFoundError("not_found", _("Not found.")) from None
        verification = (
            Verification.objects.select_related("elicence__licence", "organisation", "verifier")
            .filter(pk=verification_id)
            .first()
        )
        if verification is None:
            raise NotFoundError("not_found", _("Not found."))
        signed = tokens.receipt_sign(services.receipt_document(verification))
        return pdf_response(pdf.receipt_pdf(signed=signed), f"verification-{verification.pk}.pdf")


class ReceiptKeyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["verification"],
        responses={
            200: inline_serializer(
                "ReceiptKey",
                {
                    "algorithm": serializers.CharField(),
                    "key_id": serializers.CharField(),
                    "public_key": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request):
        return Response({"algorithm": "Ed25519", "key_id": tokens.key_id(), "public_key": tokens.public_key_b64()})


class ReceiptCheckView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["verification"],
        request=inline_serializer(
            "ReceiptCheckIn", {"receipt": serializers.DictField(), "signature": serializers.CharField()}
        ),
        responses={200: inline_serializer("ReceiptCheckOut", {"authentic": serializers.BooleanField()})},
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        return Response({"authentic": tokens.receipt_check(data)})


# --- authority system ------------------------------------------------------------------------------
class IsAuthority(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and user.is_active and (user.is_superuser or user.kind == "authority")
        )


class AuthorityLicenceView(APIView):
    permission_classes = [IsAuthority]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["authority"],
        request=inline_serializer(
            "AuthorityLicenceIn", {"name": serializers.CharField(), "classes": serializers.ListField()}
        ),
        responses={200: LicenceOut, 201: LicenceOut, **ERRORS},
        description="Upsert a record: JSON as `GET licence` with full numbers (`file_number`). A change of "
        "classes, validity or issuing authority invalidates the e-licence (L7).",
    )
    def put(self, request, number):
        if not isinstance(request.data, dict):
            raise DomainError("invalid", _("Send a JSON object."))
        licence, created = services.licence_upsert(
            actor=request.user, number=number, data=request.data, ip=client_ip(request)
        )
        return Response(selectors.licence_payload(licence), status=201 if created else 200)


class AuthorityPortraitView(APIView):
    permission_classes = [IsAuthority]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["authority"],
        request={"multipart/form-data": inline_serializer("PortraitIn", {"portrait": serializers.ImageField()})},
        responses={200: LicenceOut, **ERRORS},
    )
    def put(self, request, number):
        portrait = read_upload(request.FILES.get("portrait"))
        licence = services.licence_set_portrait(
            actor=request.user, number=number, portrait=portrait, ip=client_ip(request)
        )
        return Response(selectors.licence_payload(licence))
