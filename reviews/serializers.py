"""The applications API's contract: one serializer per request and per response, used by the views
for the output (and by the pages for the same fields) and by drf-spectacular for the schema."""

from django.utils.translation import get_language
from rest_framework import serializers

from reviews.models import ApplicationStatus, PhotoStatus


class ApplicationIn(serializers.Serializer):
    validity_start = serializers.DateField(help_text="the validity start printed on the licence")
    selfie = serializers.ImageField(help_text="a live selfie, checked against the photo on record")


class PhotoIn(serializers.Serializer):
    photo = serializers.ImageField()


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ProblemOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.SerializerMethodField(help_text="in the caller's language")
    value = serializers.JSONField(allow_null=True, help_text="what was measured")

    def get_message(self, problem) -> str:
        language = "en" if (get_language() or "").startswith("en") else "zh-hans"
        return problem["message"][language]


class PhotoOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=PhotoStatus.choices)
    problems = ProblemOut(many=True)


class TimelineOut(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    note = serializers.CharField(source="note_text", allow_blank=True, help_text="in the language of the request")


class ApplicationOut(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    submitted_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    calendar_unknown = serializers.BooleanField(help_text="due in a year whose working-day calendar is not known yet")
    photo = PhotoOut(source="current_photo", allow_null=True)
    timeline = TimelineOut(many=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["reason"] = data["reason"] or None
        return data
