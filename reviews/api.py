"""Applications API (api.md "Applications", "Staff and authority"): thin views over services and selectors."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts.models import Role
from portal.api import CONFLICT, ERRORS, FORBIDDEN, NOT_FOUND, HasRole, validated
from portal.images import read_upload
from portal.ratelimit import client_ip
from reviews import selectors, services
from reviews.serializers import ApplicationIn, ApplicationOut, DecisionIn, PhotoIn


class ApplicationsView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=["applications"], operation_id="applications_list", responses={200: ApplicationOut(many=True)})
    def get(self, request):
        return Response(ApplicationOut(selectors.applications_of_applicant(request.user), many=True).data)

    @extend_schema(
        tags=["applications"],
        request={"multipart/form-data": ApplicationIn},
        responses={201: ApplicationOut, **CONFLICT, **ERRORS},
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
        return Response(ApplicationOut(application).data, status=201)


class ApplicationDetailView(APIView):
    @extend_schema(tags=["applications"], responses={200: ApplicationOut, **NOT_FOUND})
    def get(self, request, application_id):
        application = selectors.application_of_applicant(user=request.user, application_id=application_id)
        return Response(ApplicationOut(application).data)


class ApplicationPhotoView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["applications"],
        request={"multipart/form-data": PhotoIn},
        responses={202: ApplicationOut, **NOT_FOUND, **CONFLICT, **ERRORS},
    )
    def post(self, request, application_id):
        photo = read_upload(request.FILES.get("photo"))
        services.photo_upload(user=request.user, application_id=application_id, photo=photo, ip=client_ip(request))
        application = selectors.application_of_applicant(user=request.user, application_id=application_id)
        return Response(ApplicationOut(application).data, status=202)


class ApplicationCancelView(APIView):
    @extend_schema(
        tags=["applications"], request=None, responses={200: ApplicationOut, **NOT_FOUND, **CONFLICT, **ERRORS}
    )
    def post(self, request, application_id):
        application = services.application_cancel(
            user=request.user, application_id=application_id, ip=client_ip(request)
        )
        return Response(ApplicationOut(application).data)


class StaffApplicationsView(APIView):
    permission_classes = [HasRole]
    required_role = Role.REVIEWER

    @extend_schema(
        tags=["staff"],
        parameters=[
            OpenApiParameter("status", str, description="every application in this status (default: the queue)"),
            OpenApiParameter("problem", str, description="only photos flagged with this problem code"),
        ],
        responses={200: ApplicationOut(many=True), **FORBIDDEN},
    )
    def get(self, request):
        queue = selectors.review_queue(status=request.GET.get("status", ""), problem=request.GET.get("problem", ""))
        return Response(ApplicationOut(queue, many=True).data)


class StaffDecisionView(APIView):
    permission_classes = [HasRole]
    required_role = Role.REVIEWER
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        tags=["staff"],
        request=DecisionIn,
        responses={200: ApplicationOut, **FORBIDDEN, **NOT_FOUND, **CONFLICT, **ERRORS},
    )
    def post(self, request, application_id):
        application = services.application_photo_decide(
            reviewer=request.user,
            application_id=application_id,
            **validated(DecisionIn, request),
            ip=client_ip(request),
        )
        return Response(ApplicationOut(application).data)
