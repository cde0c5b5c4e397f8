"""The accounts API's contract: one serializer per request and per response, used by the views for
the output and by drf-spectacular for the schema."""

from rest_framework import serializers

from portal.accounts.models import AccountKind, OrganisationKind, OrganisationStatus, RealNameStatus


# --- requests ---------------------------------------------------------------------------------------
class TokenIn(serializers.Serializer):
    username = serializers.CharField(help_text="ID number, mobile number or (staff) username")
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class PhoneCodeIn(serializers.Serializer):
    phone = serializers.CharField()


class RegisterIn(serializers.Serializer):
    id_number = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    phone_code = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class FaceIn(serializers.Serializer):
    selfie = serializers.ImageField()


class PasswordResetIn(serializers.Serializer):
    username = serializers.CharField()


class PasswordResetConfirmIn(serializers.Serializer):
    username = serializers.CharField()
    code = serializers.CharField()
    new_password = serializers.CharField(trim_whitespace=False)


class ActivateIn(serializers.Serializer):
    id_number = serializers.CharField()
    activation_code = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class OrganisationIn(serializers.Serializer):
    name = serializers.CharField()
    uscc = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()


class StudentIn(serializers.Serializer):
    id_number = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)


class StudentsCsvIn(serializers.Serializer):
    file = serializers.FileField()


class CounterRegistrationIn(serializers.Serializer):
    id_number = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()


# --- responses --------------------------------------------------------------------------------------
class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class RegisterOut(serializers.Serializer):
    id = serializers.UUIDField()
    real_name_status = serializers.ChoiceField(choices=RealNameStatus.choices)


class FaceOut(serializers.Serializer):
    verified = serializers.BooleanField()


class OkOut(serializers.Serializer):
    ok = serializers.BooleanField()


class OrganisationOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    status = serializers.ChoiceField(choices=OrganisationStatus.choices)


class OrganisationCreatedOut(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=OrganisationStatus.choices)


class MeOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="display_name")
    id_number_masked = serializers.CharField()
    phone_masked = serializers.CharField()
    kind = serializers.ChoiceField(choices=AccountKind.choices)
    real_name_status = serializers.ChoiceField(choices=RealNameStatus.choices)
    roles = serializers.ListField(child=serializers.CharField(), source="role_names")
    organisation = OrganisationOut(allow_null=True)


class StudentOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    activated = serializers.BooleanField(source="is_active")
    real_name_status = serializers.ChoiceField(choices=RealNameStatus.choices)


class StudentResult(serializers.Serializer):
    row = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "already_registered", "error"])
    code = serializers.CharField(required=False)
    detail = serializers.CharField(required=False)
    id = serializers.UUIDField(required=False)
    name = serializers.CharField(required=False)
    id_number_masked = serializers.CharField(required=False)
    activation_code = serializers.CharField(required=False)


class StudentsImportedOut(serializers.Serializer):
    results = StudentResult(many=True)


class CounterRegistrationOut(serializers.Serializer):
    id = serializers.UUIDField(source="user.pk")
    activation_code = serializers.CharField()
