"""Applications API (api.md "Applications", "Staff and authority"): thin views over `services`."""

from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import ERRORS, ErrorSerializer, HasRole, validated
from portal.images import read_upload
from portal.ratelimit import client_ip
from reviews import selectors, services
from reviews.models import Application, ApplicationStatus

ApplicationOut = inline_serializer(
    "ApplicationOut",
    {
        "id": serializers.UUIDField(),
        "status": serializers.ChoiceField(choices=ApplicationStatus.choices),
        "submitted_at": serializers.DateTimeField(),
        "due_at": serializers.DateTimeField(allow_null=True),
        "decided_at": serializers.DateTimeField(allow_null=True),
        "reason": serializers.CharField(allow_null=True),
        "photo": serializers.DictField(allow_null=True),
        "timeline": serializers.ListField(child=serializers.DictField()),
    },
)


def payload(application):
    return selectors.application_payload(application, get_language() or "zh-hans")


class ApplicationsView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=["applications"], operation_id="applications_list", responses={200: ApplicationOut})
    def get(self, request):
        mine = Application.objects.filter(applicant=request.user).prefetch_related("photos", "timeline")
        return Response([payload(a) for a in mine])

    @extend_schema(
        tags=["applications"],
        request={
            "multipart/form-data": inline_serializer(
                "ApplicationIn", {"validity_start": serializers.DateField(), "selfie": serializers.ImageField()}
            )
        },
        responses={201: ApplicationOut, **ERRORS},
        description="400/409 codes: validity_start_mismatch, no_licence_record, licence_not_eligible, "
        "elicence_already_active, application_pending, face_verification_failed, real_name_unverified.",
    )
    def post(self, request):
        selfie = read_upload(request.FILES.get("selfie"))
        application = services.application_submit(
            user=request.user,
            validity_start=request.data.get("validity_start", ""),
            selfie=selfie,
            ip=client_ip(request),
        )
        return Response(payload(application), status=201)


class ApplicationDetailView(APIView):
    @extend_schema(tags=["applications"], responses={200: ApplicationOut, 404: ErrorSerializer})
    def get(self, request, application_id):
        return Response(payload(services.application_get(user=request.user, application_id=application_id)))


class ApplicationPhotoView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["applications"],
        request={"multipart/form-data": inline_serializer("PhotoIn", {"photo": serializers.ImageField()})},
        responses={202: ApplicationOut, **ERRORS},
    )
    def post(self, request, application_id):
        photo = read_upload(request.FILES.get("photo"))
        services.photo_upload(user=request.user, application_id=application_id, photo=photo, ip=client_ip(request))
        return Response(payload(services.application_get(user=request.user, application_id=application_id)), status=202)


class ApplicationCancelView(APIView):
    @extend_schema(tags=["applications"], request=None, responses={200: ApplicationOut, **ERRORS})
    def post(self, request, application_id):
        application = services.application_cancel(
            user=request.user, application_id=application_id, ip=client_ip(request)
        )
        return Response(payload(application))


class StaffApplicationsView(APIView):
    permission_classes = [HasRole]
    required_role = "reviewer"

    @extend_schema(
        tags=["staff"],
        parameters=[OpenApiParameter("status", str), OpenApiParameter("problem", str)],
        responses={200: ApplicationOut},
    )
    def get(self, request):
        queue = (
            services.flagged_for_staff()
            if not request.GET.get("status")
            else Application.objects.filter(status=request.GET["status"])
        )
        queue = queue.order_by("submitted_at").prefetch_related("photos", "timeline")[:500]
        problem = request.GET.get("problem")
        if problem:  # JSON containment differs between SQLite and PostgreSQL: filter here
            queue = [a for a in queue if problem in services.problem_codes(a)]
        return Response([payload(a) for a in queue])


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class StaffDecisionView(APIView):
    permission_classes = [HasRole]
    required_role = "reviewer"
    parser_classes = [JSONParser, FormParser]

    @extend_schema(tags=["staff"], request=DecisionIn, responses={200: ApplicationOut, **ERRORS})
    def post(self, request, application_id):
        application = services.staff_decide(
            reviewer=request.user,
            application_id=application_id,
            **validated(DecisionIn, request),
            ip=client_ip(request),
        )
        return Response(payload(application))
