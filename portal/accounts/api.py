"""Accounts API (api.md "Accounts", "Staff and authority"): thin views over services and selectors."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import selectors, services
from portal.accounts.models import RealNameStatus, Role
from portal.accounts.serializers import (
    ActivateIn,
    CounterRegistrationIn,
    CounterRegistrationOut,
    FaceIn,
    FaceOut,
    MeOut,
    OkOut,
    OrganisationCreatedOut,
    OrganisationIn,
    OrganisationOut,
    PasswordResetConfirmIn,
    PasswordResetIn,
    PhoneCodeIn,
    RegisterIn,
    RegisterOut,
    StudentIn,
    StudentOut,
    StudentsCsvIn,
    StudentsImportedOut,
    TokenIn,
    TokenOut,
)
from portal.api import CONFLICT, ERRORS, FORBIDDEN, NOT_FOUND, ErrorSerializer, HasRole, PublicAPIView, validated
from portal.errors import DomainError
from portal.images import read_upload
from portal.ratelimit import client_ip

OK = OkOut({"ok": True}).data


# --- auth ----------------------------------------------------------------------------------------
class TokenView(PublicAPIView):
    @extend_schema(tags=["auth"], request=TokenIn, responses={200: TokenOut, **ERRORS})
    def post(self, request):
        data = validated(TokenIn, request)
        user = services.user_authenticate(identifier=data["username"], password=data["password"], ip=client_ip(request))
        return Response(TokenOut({"token": services.api_token_issue(user=user)}).data)


# --- registration ---------------------------------------------------------------------------------
class PhoneCodeView(PublicAPIView):
    @extend_schema(tags=["accounts"], request=PhoneCodeIn, responses={202: None, **ERRORS})
    def post(self, request):
        data = validated(PhoneCodeIn, request)
        services.phone_code_request(phone=data["phone"], ip=client_ip(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class RegisterView(PublicAPIView):
    @extend_schema(
        tags=["accounts"],
        request=RegisterIn,
        responses={
            201: RegisterOut,
            409: OpenApiResponse(ErrorSerializer, description="`already_registered` or `phone_taken`"),
            **ERRORS,
        },
    )
    def post(self, request):
        data = validated(RegisterIn, request)
        user = services.account_register(**data, ip=client_ip(request))
        return Response(RegisterOut(user).data, status=201)


class FaceVerificationView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=["accounts"], request={"multipart/form-data": FaceIn}, responses={200: FaceOut, **ERRORS})
    def post(self, request):
        selfie = read_upload(request.FILES.get("selfie"))
        user = services.face_verification_submit(user=request.user, selfie=selfie, ip=client_ip(request))
        return Response(FaceOut({"verified": user.real_name_status == RealNameStatus.VERIFIED}).data)


class PasswordResetView(PublicAPIView):
    @extend_schema(tags=["accounts"], request=PasswordResetIn, responses={202: None, 429: ERRORS[429]})
    def post(self, request):
        data = validated(PasswordResetIn, request)
        services.password_reset_request(username=data["username"], ip=client_ip(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAPIView):
    @extend_schema(tags=["accounts"], request=PasswordResetConfirmIn, responses={200: OkOut, **ERRORS})
    def post(self, request):
        data = validated(PasswordResetConfirmIn, request)
        services.password_reset_confirm(**data, ip=client_ip(request))
        return Response(OK)


class ActivateView(PublicAPIView):
    @extend_schema(tags=["accounts"], request=ActivateIn, responses={200: OkOut, **ERRORS})
    def post(self, request):
        data = validated(ActivateIn, request)
        services.account_activate(**data, ip=client_ip(request))
        return Response(OK)


class MeView(APIView):
    @extend_schema(tags=["accounts"], responses={200: MeOut})
    def get(self, request):
        return Response(MeOut(request.user).data)


# --- organisations ---------------------------------------------------------------------------------
class OrganisationCreateView(APIView):
    @extend_schema(
        tags=["organisations"], request=OrganisationIn, responses={201: OrganisationCreatedOut, **CONFLICT, **ERRORS}
    )
    def post(self, request):
        data = validated(OrganisationIn, request)
        organisation = services.organisation_create(user=request.user, **data, ip=client_ip(request))
        return Response(OrganisationCreatedOut(organisation).data, status=201)


class StudentsView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(tags=["organisations"], responses={200: StudentOut(many=True), **NOT_FOUND})
    def get(self, request, organisation_id):
        students = selectors.students_of_school(actor=request.user, organisation_id=organisation_id)
        return Response(StudentOut(students, many=True).data)

    @extend_schema(
        tags=["organisations"],
        description="Driving schools only. Send a CSV file (`file`, columns id_number,name,phone) or a JSON "
        "list of `{id_number, name, phone}`. Each row is imported on its own; broken rows are reported.",
        request={"application/json": StudentIn(many=True), "multipart/form-data": StudentsCsvIn},
        responses={200: StudentsImportedOut, **NOT_FOUND, **ERRORS},
    )
    def post(self, request, organisation_id):
        upload = request.FILES.get("file")
        if upload is not None:
            rows = services.students_parse_csv(read_upload(upload, max_bytes=services.STUDENTS_CSV_MAX_BYTES))
        elif isinstance(request.data, list):
            rows = request.data
        elif isinstance(request.data, dict) and isinstance(request.data.get("students"), list):
            rows = request.data["students"]
        else:
            raise DomainError("invalid", "Send a CSV file as `file` or a JSON list of students.")
        results = services.students_import(
            actor=request.user, organisation_id=organisation_id, rows=rows, ip=client_ip(request)
        )
        return Response(StudentsImportedOut({"results": results}).data)


# --- staff -----------------------------------------------------------------------------------------
class StaffOrganisationApproveView(APIView):
    permission_classes = [HasRole]
    required_role = Role.COUNTER_CLERK

    @extend_schema(tags=["staff"], request=None, responses={200: OrganisationOut, **FORBIDDEN, **NOT_FOUND, **CONFLICT})
    def post(self, request, organisation_id):
        organisation = services.organisation_decide(
            staff=request.user, organisation_id=organisation_id, approve=True, ip=client_ip(request)
        )
        return Response(OrganisationOut(organisation).data)


class CounterRegistrationView(APIView):
    permission_classes = [HasRole]
    required_role = Role.COUNTER_CLERK

    @extend_schema(
        tags=["staff"],
        request=CounterRegistrationIn,
        responses={201: CounterRegistrationOut, **FORBIDDEN, **CONFLICT, **ERRORS},
    )
    def post(self, request):
        data = validated(CounterRegistrationIn, request)
        result = services.counter_registration_create(clerk=request.user, **data, ip=client_ip(request))
        return Response(CounterRegistrationOut(result).data, status=201)
