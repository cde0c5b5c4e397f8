"""Licence API (api.md "Licence and e-licence", "Verification", authority endpoints): thin views."""

from django.core import signing
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from licences import pdf, selectors, services, tokens
from licences.serializers import (
    RECEIPT_MAX_AGE,
    RECEIPT_SALT,
    AuthorityLicenceIn,
    ELicenceOut,
    IdentityPhotoIn,
    IdentityPhotoOut,
    LicenceOut,
    OfflineVerificationIn,
    OfflineVerificationOut,
    PortraitIn,
    QROut,
    ReceiptCheckIn,
    ReceiptCheckOut,
    ReceiptKeyOut,
    ShareIn,
    ShareOut,
    VerificationIn,
    VerificationLogOut,
    VerificationOut,
)
from portal.accounts import services as account_services
from portal.accounts.models import AccountKind
from portal.api import CONFLICT, ERRORS, NOT_FOUND, validated
from portal.errors import DomainError, NotFoundError
from portal.images import read_upload
from portal.ratelimit import client_ip


class LicenceView(APIView):
    @extend_schema(tags=["licence"], responses={200: LicenceOut, **NOT_FOUND})
    def get(self, request):
        licence = selectors.licence_for_user(request.user)
        if licence is None:
            raise NotFoundError("no_licence_record", _("No licence record matches your ID number."))
        return Response(LicenceOut(licence).data)


class ELicenceView(APIView):
    @extend_schema(tags=["licence"], responses={200: ELicenceOut, **NOT_FOUND})
    def get(self, request):
        return Response(ELicenceOut(selectors.elicence_current_for_or_404(request.user)).data)


class ELicenceQRView(APIView):
    @extend_schema(
        tags=["licence"],
        parameters=[
            OpenApiParameter("svg", str, enum=["0", "1"], description="0: leave `svg` empty (the client draws `url`)")
        ],
        responses={200: QROut, **NOT_FOUND, **CONFLICT},
    )
    def get(self, request):
        elicence = selectors.elicence_current_for_or_404(request.user)
        issued = services.elicence_qr_issue(elicence=elicence)
        context = {"request": request, "elicence": elicence, "svg": request.query_params.get("svg") != "0"}
        response = Response(QROut(issued, context=context).data)
        response["Cache-Control"] = "no-store"
        return response


class ELicenceVerificationsView(APIView):
    @extend_schema(tags=["licence"], responses={200: VerificationLogOut(many=True)})
    def get(self, request):
        return Response(VerificationLogOut(selectors.verifications_for_holder(request.user), many=True).data)


class SharesView(APIView):
    @extend_schema(tags=["licence"], responses={200: ShareOut(many=True)})
    def get(self, request):
        shares = selectors.shares_of_holder(request.user)
        return Response(ShareOut(shares, many=True, context={"request": request}).data)

    @extend_schema(tags=["licence"], request=ShareIn, responses={201: ShareOut, **NOT_FOUND, **CONFLICT, **ERRORS})
    def post(self, request):
        share = services.share_create(user=request.user, **validated(ShareIn, request), ip=client_ip(request))
        return Response(ShareOut(share, context={"request": request}).data, status=201)


class ShareDetailView(APIView):
    @extend_schema(tags=["licence"], responses={204: None, **NOT_FOUND})
    def delete(self, request, share_id):
        services.share_revoke(user=request.user, share_id=share_id, ip=client_ip(request))
        return Response(status=204)


class ELicenceMdocView(APIView):
    @extend_schema(
        tags=["licence"],
        responses={(200, "application/cbor"): bytes, **NOT_FOUND, **CONFLICT},
        description="The holder's e-licence as an ISO/IEC 18013-5 DeviceResponse: one issuer-signed document "
        "of doc type org.iso.18013.5.1.mDL (docs/offline.md).",
    )
    def get(self, request):
        data = services.elicence_mdoc_export(user=request.user, ip=client_ip(request))
        response = HttpResponse(data, content_type="application/cbor")
        response["Content-Disposition"] = 'attachment; filename="elicence-mdl.cbor"'
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ShareDownloadView(APIView):
    @extend_schema(tags=["licence"], responses={(200, "application/pdf"): bytes, **NOT_FOUND})
    def get(self, request, share_id):
        share = selectors.share_of_holder(user=request.user, share_id=share_id)
        return pdf.share_pdf_response(request, share)


class VerificationsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["verification"],
        request=VerificationIn,
        responses={200: VerificationOut, **ERRORS},
        description="Anonymous callers get `holder = {name_masked}`; members of an approved organisation get "
        "the fields of their kind (police: all; insurer, car rental, employer: name, classes, validity, status).",
    )
    def post(self, request):
        outcome = services.verification_record(
            verifier=request.user, **validated(VerificationIn, request), ip=client_ip(request)
        )
        response = Response(VerificationOut(outcome, context={"request": request}).data)
        patch_cache_control(response, no_store=True, private=True)
        return response


class OfflineVerificationsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["verification"],
        request=OfflineVerificationIn,
        responses={201: OfflineVerificationOut, 200: OfflineVerificationOut, **NOT_FOUND, **ERRORS},
        description="A check made offline by the verifier page (docs/offline.md), uploaded when the network "
        "returned: recorded in the holder's log at the time it was made. Idempotent on `id` (200 the second time).",
    )
    def post(self, request):
        data = validated(OfflineVerificationIn, request)
        verification, created = services.verification_record_offline(
            verifier=request.user,
            check_id=data["id"],
            token=data["token"],
            checked_at=data["checked_at"],
            purpose=data.get("purpose", ""),
            ip=client_ip(request),
        )
        response = Response(OfflineVerificationOut(verification).data, status=201 if created else 200)
        patch_cache_control(response, no_store=True, private=True)
        return response


class ReceiptView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=["verification"], responses={(200, "application/pdf"): bytes, **NOT_FOUND})
    def get(self, request, signed_id):
        try:
            verification_id = signing.loads(signed_id, salt=RECEIPT_SALT, max_age=RECEIPT_MAX_AGE)
        except signing.BadSignature:
            raise NotFoundError("not_found", _("Not found.")) from None
        verification = selectors.verification_for_receipt(verification_id)
        if verification is None:
            raise NotFoundError("not_found", _("Not found."))
        signed = tokens.receipt_sign(services.receipt_document_build(verification))
        return pdf.receipt_pdf_response(signed, f"verification-{verification.pk}.pdf")


class ReceiptKeyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=["verification"], responses={200: ReceiptKeyOut})
    def get(self, request):
        key = {"algorithm": "Ed25519", "key_id": tokens.key_id(), "public_key": tokens.public_key_b64()}
        return Response(ReceiptKeyOut(key).data)


class ReceiptCheckView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=["verification"], request=ReceiptCheckIn, responses={200: ReceiptCheckOut})
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        return Response(ReceiptCheckOut({"authentic": tokens.receipt_check(data)}).data)


# --- authority system ------------------------------------------------------------------------------
class IsAuthority(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and (user.is_superuser or user.kind == AccountKind.AUTHORITY)
        )


class AuthorityLicenceView(APIView):
    permission_classes = [IsAuthority]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["authority"],
        request=AuthorityLicenceIn,
        responses={200: LicenceOut, 201: LicenceOut, **ERRORS},
        description="Upsert a record: JSON as `GET licence` with the full `number` and `file_number` in the body "
        "(numbers never go into a URL). A change of classes, validity or issuing authority invalidates the "
        "e-licence (L7).",
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise DomainError("invalid", _("Send a JSON object."))
        number = str(request.data.get("number", ""))
        licence, created = services.licence_upsert(
            actor=request.user, number=number, data=request.data, ip=client_ip(request)
        )
        return Response(LicenceOut(licence).data, status=201 if created else 200)


class AuthorityPortraitView(APIView):
    permission_classes = [IsAuthority]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["authority"],
        request={"multipart/form-data": PortraitIn},
        responses={200: LicenceOut, **NOT_FOUND, **ERRORS},
    )
    def post(self, request):
        portrait = read_upload(request.FILES.get("portrait"))
        licence = services.licence_set_portrait(
            actor=request.user, number=str(request.data.get("number", "")), portrait=portrait, ip=client_ip(request)
        )
        return Response(LicenceOut(licence).data)


class AuthorityIdentityPhotoView(APIView):
    permission_classes = [IsAuthority]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["authority"],
        request={"multipart/form-data": IdentityPhotoIn},
        responses={200: IdentityPhotoOut, **ERRORS},
        description="The identity register's photo of a person (the population register's ID-card photo): "
        "the reference for face verification (A1, R1). A second push replaces the first.",
    )
    def post(self, request):
        photo = read_upload(request.FILES.get("photo"))
        record, created = account_services.identity_photo_set(
            actor=request.user, id_number=str(request.data.get("id_number", "")), photo=photo, ip=client_ip(request)
        )
        return Response(IdentityPhotoOut({"id_number_masked": record.id_number_masked, "created": created}).data)


class BenchFloorView(APIView):
    """The floor of bench/verifications.py, mounted only when BENCH_FLOOR is set (never in production):
    one indexed read and one durable insert through the same stack as the real endpoints. POST: read
    an e-licence with its licence, insert a verification row (a verification's least work); GET:
    read the e-licence, insert a short code (a QR issue's least work)."""

    permission_classes = [AllowAny]

    def _elicence(self, request):
        return selectors.elicence_by_id(request.data.get("elicence") or request.query_params.get("elicence"))

    @extend_schema(exclude=True)
    def post(self, request):
        from licences.services.verification import VERIFICATION_INSERT

        elicence = self._elicence(request)  # the verification's read and insert, as they run there
        verification = VERIFICATION_INSERT.create(elicence=elicence, method="qr", valid=elicence is not None)
        return Response({"id": str(verification.pk), "valid": verification.valid})

    @extend_schema(exclude=True)
    def get(self, request):
        import secrets

        from django.utils import timezone

        from licences.models import QRCode

        elicence = self._elicence(request)
        code = QRCode.objects.create(
            code=secrets.token_hex(6), elicence=elicence, licence_version=elicence.licence_version,
            expires_at=timezone.now(),
        )  # fmt: skip
        return Response({"code": code.code})


class BenchCheckedFloorView(APIView):
    """The checked floor of bench/verifications.py, mounted only when BENCH_FLOOR is set (never in
    production): the floor's read and insert, plus the three things a verification must do that the floor
    does not, each in its least form and with the real code: the QR token's signature check, the rate
    limit (its Redis round trip overlapping the check, as in `verification_record`) and the Ed25519
    signature of a receipt. POST {token, elicence}. A verification that keeps those three does at least
    this much work; the rest of its work is the third table read (the QR's short code), the status
    checks, the receipt's document and link, and the serializers."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def post(self, request):
        from django.utils import timezone

        from licences.services.verification import VERIFICATION_INSERT, reference_read
        from portal import ratelimit

        now, token = timezone.now(), str(request.data.get("token", ""))
        with ratelimit.counting("verify:ip", client_ip(request) or "unknown"):
            reference = reference_read(token=token, share_code=None, now=now)  # the verification's own check
        if reference.reason:
            raise DomainError(reference.reason, "the token was not accepted")
        elicence = selectors.elicence_by_id(request.data.get("elicence"))
        verification = VERIFICATION_INSERT.create(elicence=elicence, method="qr", valid=elicence is not None)
        receipt = tokens.receipt_sign({"id": str(verification.pk), "ref": reference.code, "valid": verification.valid})
        return Response({"id": str(verification.pk), "valid": verification.valid, "receipt": receipt})
