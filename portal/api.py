"""Building blocks of every app's API: the error body, input validation, role permission, health."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(required=False)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input: `code` says what"),
    429: OpenApiResponse(ErrorSerializer, description="Rate limited"),
}
NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="`not_found` (also for what is not yours)")}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="The current state does not allow it: `code` says why")}
FORBIDDEN = {403: OpenApiResponse(ErrorSerializer, description="`permission_denied`")}


def validated(serializer_class, request) -> dict:
    """The request body checked by an input serializer; a 400 with field errors otherwise. A serializer
    may offer `plain(data)`: the same validated data for the usual body without building the serializer,
    None for anything else (then the serializer checks it and gives its own errors)."""
    plain = getattr(serializer_class, "plain", None)
    if plain is not None and (data := plain(request.data)) is not None:
        return data
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class HasRole(BasePermission):
    """The view's `required_role` (users' `has_role` decides): checked before any input is read."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(view.required_role))


class PublicAPIView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []  # no session, so no CSRF on these anonymous endpoints


class HealthOut(serializers.Serializer):
    status = serializers.CharField()


class HealthView(PublicAPIView):
    """Liveness for load balancers, and the trivial baseline of bench/verifications.py."""

    @extend_schema(tags=["platform"], responses={200: HealthOut})
    def get(self, request):
        return Response(HealthOut({"status": "ok"}).data)
