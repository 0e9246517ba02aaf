"""The criteria editor's forms (rubrics_app.views.editor, .drafting)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from rubrics_app.choices import Polarity


class Versioned(forms.Form):
    """Every change names the version it was made on (a conflicting edit is refused)."""

    version = forms.IntegerField(
        error_messages={
            "required": gettext_lazy("The edit does not say which version it changes."),
            "invalid": gettext_lazy("The edit does not say which version it changes."),
        }
    )


class CriterionFields(forms.Form):
    """What changes in a criterion (an edit, a suggestion accepted as edited): a field
    left out stays as it is (None). The form reads the fields' shapes; the service
    checks their values (rules that hold for the API too), and either's errors show by
    their field."""

    text = forms.Field(required=False)
    polarity = forms.TypedChoiceField(
        choices=Polarity.choices, coerce=int, required=False, empty_value=None
    )
    weight = forms.Field(required=False)


class CriterionEditForm(Versioned, CriterionFields):
    pass


class CriterionAddForm(forms.Form):
    text = forms.CharField(required=False, strip=False)
    polarity = forms.TypedChoiceField(
        choices=Polarity.choices, coerce=int, required=False, empty_value="1"
    )
    weight = forms.Field(required=False)

    def clean_weight(self) -> Any:
        weight = self.cleaned_data["weight"]
        return "1" if weight is None else weight  # left out: the default weight
