"""Accounts API (api.md "Accounts", "Staff and authority"): thin views over `services`."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import selectors, services
from portal.accounts.models import OrganisationKind
from portal.api import ERRORS, ErrorSerializer, HasRole, PublicAPIView, validated
from portal.errors import DomainError
from portal.images import read_upload
from portal.ratelimit import client_ip


# --- auth ----------------------------------------------------------------------------------------
class TokenIn(serializers.Serializer):
    username = serializers.CharField(help_text="ID number, mobile number or (staff) username")
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenView(PublicAPIView):
    @extend_schema(
        tags=["auth"],
        request=TokenIn,
        responses={200: inline_serializer("TokenOut", {"token": serializers.CharField()}), **ERRORS},
    )
    def post(self, request):
        data = validated(TokenIn, request)
        user = services.login_check(identifier=data["username"], password=data["password"], ip=client_ip(request))
        return Response({"token": services.token_issue(user=user)})


# --- registration ---------------------------------------------------------------------------------
class PhoneCodeIn(serializers.Serializer):
    phone = serializers.CharField()


class PhoneCodeView(PublicAPIView):
    @extend_schema(tags=["accounts"], request=PhoneCodeIn, responses={202: None, **ERRORS})
    def post(self, request):
        data = validated(PhoneCodeIn, request)
        services.phone_code_request(phone=data["phone"], ip=client_ip(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class RegisterIn(serializers.Serializer):
    id_number = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    phone_code = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class RegisterView(PublicAPIView):
    @extend_schema(
        tags=["accounts"],
        request=RegisterIn,
        responses={
            201: inline_serializer(
                "RegisterOut", {"id": serializers.UUIDField(), "real_name_status": serializers.CharField()}
            ),
            409: OpenApiResponse(ErrorSerializer, description="`already_registered` or `phone_taken`"),
            **ERRORS,
        },
    )
    def post(self, request):
        data = validated(RegisterIn, request)
        user = services.account_register(**data, ip=client_ip(request))
        return Response({"id": str(user.pk), "real_name_status": user.real_name_status}, status=201)


class FaceVerificationView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["accounts"],
        request={"multipart/form-data": inline_serializer("FaceIn", {"selfie": serializers.ImageField()})},
        responses={200: inline_serializer("FaceOut", {"verified": serializers.BooleanField()}), **ERRORS},
    )
    def post(self, request):
        selfie = read_upload(request.FILES.get("selfie"))
        user = services.face_verification_submit(user=request.user, selfie=selfie, ip=client_ip(request))
        return Response({"verified": user.real_name_status == "verified"})


class PasswordResetIn(serializers.Serializer):
    username = serializers.CharField()


class PasswordResetView(PublicAPIView):
    @extend_schema(tags=["accounts"], request=PasswordResetIn, responses={202: None, 429: ERRORS[429]})
    def post(self, request):
        data = validated(PasswordResetIn, request)
        services.password_reset_request(username=data["username"], ip=client_ip(request))
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmIn(serializers.Serializer):
    username = serializers.CharField()
    code = serializers.CharField()
    new_password = serializers.CharField(trim_whitespace=False)


class OkSerializer(serializers.Serializer):
    ok = serializers.BooleanField()


class PasswordResetConfirmView(PublicAPIView):
    @extend_schema(tags=["accounts"], request=PasswordResetConfirmIn, responses={200: OkSerializer, **ERRORS})
    def post(self, request):
        data = validated(PasswordResetConfirmIn, request)
        services.password_reset_confirm(**data, ip=client_ip(request))
        return Response({"ok": True})


class ActivateIn(serializers.Serializer):
    id_number = serializers.CharField()
    activation_code = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class ActivateView(PublicAPIView):
    @extend_schema(tags=["accounts"], request=ActivateIn, responses={200: OkSerializer, **ERRORS})
    def post(self, request):
        data = validated(ActivateIn, request)
        services.account_activate(**data, ip=client_ip(request))
        return Response({"ok": True})


class OrganisationOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()


class MeOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    phone_masked = serializers.CharField()
    kind = serializers.CharField()
    real_name_status = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    organisation = OrganisationOut(allow_null=True)


class MeView(APIView):
    @extend_schema(tags=["accounts"], responses={200: MeOut})
    def get(self, request):
        return Response(selectors.me_payload(request.user))


# --- organisations ---------------------------------------------------------------------------------
class OrganisationIn(serializers.Serializer):
    name = serializers.CharField()
    uscc = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()


class OrganisationCreateView(APIView):
    @extend_schema(
        tags=["organisations"],
        request=OrganisationIn,
        responses={
            201: inline_serializer(
                "OrganisationCreated", {"id": serializers.UUIDField(), "status": serializers.CharField()}
            ),
            **ERRORS,
        },
    )
    def post(self, request):
        data = validated(OrganisationIn, request)
        organisation = services.organisation_create(user=request.user, **data, ip=client_ip(request))
        return Response({"id": str(organisation.pk), "status": organisation.status}, status=201)


class StudentIn(serializers.Serializer):
    id_number = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)


class StudentResult(serializers.Serializer):
    row = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "already_registered", "error"])
    code = serializers.CharField(required=False)
    detail = serializers.CharField(required=False)
    id = serializers.UUIDField(required=False)
    name = serializers.CharField(required=False)
    id_number_masked = serializers.CharField(required=False)
    activation_code = serializers.CharField(required=False)


class StudentOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    activated = serializers.BooleanField(source="is_active")
    real_name_status = serializers.CharField()


class StudentsView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(tags=["organisations"], responses={200: StudentOut(many=True), 404: ERRORS[400]})
    def get(self, request, organisation_id):
        students = services.students_list(actor=request.user, organisation_id=organisation_id)
        return Response(StudentOut(students, many=True).data)

    @extend_schema(
        tags=["organisations"],
        description="Driving schools only. Send a CSV file (`file`, columns id_number,name,phone) or a JSON "
        "list of `{id_number, name, phone}`. Each row is imported on its own; broken rows are reported.",
        request={
            "application/json": StudentIn(many=True),
            "multipart/form-data": inline_serializer("StudentsCsv", {"file": serializers.FileField()}),
        },
        responses={200: inline_serializer("StudentsImported", {"results": StudentResult(many=True)}), **ERRORS},
    )
    def post(self, request, organisation_id):
        upload = request.FILES.get("file")
        if upload is not None:
            rows = services.students_parse_csv(read_upload(upload, max_bytes=2 * 1024 * 1024))
        elif isinstance(request.data, list):
            rows = request.data
        elif isinstance(request.data, dict) and isinstance(request.data.get("students"), list):
            rows = request.data["students"]
        else:
            raise DomainError("invalid", "Send a CSV file as `file` or a JSON list of students.")
        results = services.students_import(
            actor=request.user, organisation_id=organisation_id, rows=rows, ip=client_ip(request)
        )
        return Response({"results": results})


# --- staff -----------------------------------------------------------------------------------------
class StaffOrganisationApproveView(APIView):
    permission_classes = [HasRole]
    required_role = "counter_clerk"

    @extend_schema(tags=["staff"], request=None, responses={200: OrganisationOut, 403: ERRORS[400]})
    def post(self, request, organisation_id):
        organisation = services.organisation_decide(
            staff=request.user, organisation_id=organisation_id, approve=True, ip=client_ip(request)
        )
        return Response(OrganisationOut(organisation).data)


class CounterRegistrationIn(serializers.Serializer):
    id_number = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()


class CounterRegistrationView(APIView):
    permission_classes = [HasRole]
    required_role = "counter_clerk"

    @extend_schema(
        tags=["staff"],
        request=CounterRegistrationIn,
        responses={
            201: inline_serializer(
                "CounterRegistrationOut", {"id": serializers.UUIDField(), "activation_code": serializers.CharField()}
            ),
            **ERRORS,
        },
    )
    def post(self, request):
        data = validated(CounterRegistrationIn, request)
        result = services.counter_registration_create(clerk=request.user, **data, ip=client_ip(request))
        return Response({"id": str(result.user.pk), "activation_code": result.activation_code}, status=201)
