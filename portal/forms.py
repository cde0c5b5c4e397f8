"""How pages show what a service refused: one form base class, used by every page that submits data."""

from django import forms

from portal.errors import DomainError, NotFoundError


class DomainErrorFormMixin:
    """Puts a service's `DomainError` next to the field it concerns: the fields it names (by the
    service's argument names), else the field of its `code`, else `default_field` or above the form.
    """

    field_of_code: dict[str, str] = {}  # error code → service argument
    field_of_argument: dict[str, str] = {}  # service argument → this form's field, where they differ
    default_field: str | None = None  # where an error with no field of its own goes (None: above the form)

    def _form_field(self, argument: str | None) -> str | None:
        field = self.field_of_argument.get(argument, argument)
        return field if field in self.fields else self.default_field

    domain_error_code: str = ""  # the code of the last service error, for pages that style by it

    retry_after = 0  # after a rate limit: seconds to wait (the page counts down)

    def add_domain_error(self, exc: DomainError) -> None:
        self.domain_error_code = exc.code
        self.retry_after = getattr(exc, "retry_after", 0)
        placed = False
        for argument, messages in exc.fields.items():
            field = self._form_field(argument)
            if field is not None:
                for message in messages if isinstance(messages, list | tuple) else [messages]:
                    self.add_error(field, str(message))
                placed = True
        if not placed:
            self.add_error(self._form_field(self.field_of_code.get(exc.code)), str(exc.detail))


class ServiceForm(DomainErrorFormMixin, forms.Form):
    """A page's form whose cleaned data goes to a service."""

    result = None  # what the service returned, after a successful `submit`

    def submit(self, request, service, **arguments) -> bool:
        """On a valid POST, call `service(**cleaned_data, **arguments)`; True when it succeeded.

        A `DomainError` is put on the form (False); a `NotFoundError` propagates to the 404 page
        (portal.middleware.DomainErrorPageMiddleware).
        """
        if request.method != "POST" or not self.is_valid():
            return False
        try:
            self.result = service(**self.cleaned_data, **arguments)
        except NotFoundError:
            raise
        except DomainError as exc:
            self.add_domain_error(exc)
            return False
        return True


class ServiceModelForm(DomainErrorFormMixin, forms.ModelForm):
    """A staff-console change form whose object is saved by a service: `service_check` runs the
    service's own rules in `clean`, so that a refusal shows on the form, not after "saved"."""

    def service_check(self, cleaned: dict) -> dict | None:
        """The service's check of the cleaned data: raise `DomainError`, or return values to keep."""
        return None

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned.update(self.service_check(cleaned) or {})
        except DomainError as exc:
            self.add_domain_error(exc)
        return cleaned
