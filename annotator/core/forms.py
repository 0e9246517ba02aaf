"""Bootstrap's classes on form fields, set in one place for every form whose fields the
pages render as they are ({{ field }}): a select for a choice, a text box for anything
else, both small."""

from typing import Any

from django import forms


class StyledFieldsMixin:
    """Put first among a form's bases, before forms.Form or another form class."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # ModelChoiceField is a ChoiceField too: both render as a <select>.
            kind = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = f"{kind} {kind}-sm"


class StyledForm(StyledFieldsMixin, forms.Form):
    """For FilterSet.Meta.form: django-filter builds the filter form on this class."""
