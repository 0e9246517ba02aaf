"""Parameters of the pages (query strings, and ids in posted forms) are read through
forms, never int() on request.GET: a malformed value (abc, ², a 30-digit id, an id of
another benchmark) is then a 400 that names the parameter, answered by
annotator.core.error_views, instead of a ValueError or OverflowError deep in a query."""

from typing import Any
from uuid import UUID

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, BadRequest
from django.utils.translation import gettext

from annotator.core.errors import InputError


class IdField(forms.IntegerField):
    """A row id: a positive whole number that fits the id columns (BigAutoField)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)


class IdListField(forms.Field):
    """Row ids posted under one name (checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: list[str] | None) -> list[int]:
        return [IdField().clean(item) for item in value or []]


class PublicIdListField(forms.Field):
    """Public ids (UUIDs) of videos posted under one name (checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: list[str] | None) -> list[UUID]:
        return [forms.UUIDField().clean(item) for item in value or []]


def _id_checked(field: forms.ModelChoiceField, value: Any) -> None:
    """An id past the id columns' range is an invalid choice that names it, not the
    OverflowError the database driver raises on it."""
    try:
        IdField().clean(value)
    except forms.ValidationError:
        raise forms.ValidationError(
            field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        ) from None


class ModelIdChoiceField(forms.ModelChoiceField):
    """An object chosen by id."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            _id_checked(self, value)
        return super().to_python(value)


class ModelIdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Objects chosen by id."""

    def _check_values(self, value: Any) -> Any:  # type: ignore[misc]  # Django's, not in the stubs
        for item in value or []:
            _id_checked(self, item)
        return super()._check_values(value)  # type: ignore[misc]


def cleaned_input(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data, or BadRequest saying what is wrong with which field."""
    if not form.is_valid():
        problems = "; ".join(
            " ".join(map(str, errors))
            if name == NON_FIELD_ERRORS
            else f"{name}: {' '.join(map(str, errors))}"
            for name, errors in form.errors.items()
        )
        raise BadRequest(gettext("Malformed input. %(problems)s") % {"problems": problems})
    return form.cleaned_data


def posted_input(form: forms.Form) -> dict[str, Any]:
    """The cleaned data of a form a person corrects (it is shown again with each error
    by its field), or InputError naming each bad field: a 422, where cleaned_input's
    BadRequest is for parameters no page sends malformed."""
    if not form.is_valid():
        raise InputError({name: [str(e) for e in errors] for name, errors in form.errors.items()})
    return form.cleaned_data
