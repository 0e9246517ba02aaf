"""Account settings: the user's personal API tokens (a page, so session login only)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.i18n import set_language

from annotator.core.htmx import AuthedHttpRequest
from annotator.models import ApiToken
from annotator.models.tokens import TokenScope
from annotator.services.users import user_set_language


@require_safe
def home(request: AuthedHttpRequest) -> HttpResponse:
    """Where a login lands: annotators on their work, the others on the benchmarks."""
    return redirect("benchmark-list" if request.user.is_reviewer else "my-work")


@login_not_required  # the login page has the switcher too
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie, then back to the page); a logged-in
    user's choice is also kept on the account, for their other browsers."""
    response = set_language(request)
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=request.POST.get("language", ""))
    return response


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text=_("what the token is for, e.g. eval-cluster"))
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)


@never_cache  # the answer to a POST holds a new secret
@require_http_methods(["GET", "POST"])
def account_settings(request: AuthedHttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        # Rendered in the answer to the POST, never stored: only its hash is kept.
        _, new_key = ApiToken.issue(user=request.user, **form.cleaned_data)
        form = TokenForm()
    return render(
        request,
        "annotator/account_settings.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": request.user.api_tokens.all(),
            "api_docs": reverse("api-docs"),
        },
    )


@require_POST
def token_revoke(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    token.revoke()
    messages.success(
        request, _("Token %(name)s revoked: it no longer authenticates.") % {"name": token.name}
    )
    return redirect("account-settings")
