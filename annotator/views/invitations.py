"""Invitations: admins invite people by email; the invited person opens the link,
chooses a username and password, and is logged in."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from annotator.core.errors import InputError
from annotator.core.forms import StyledFieldsMixin
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import admin_required
from annotator.models import User
from annotator.models.choices import Role
from annotator.services import invitations


class InviteForm(StyledFieldsMixin, forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ANNOTATOR)


class AcceptForm(StyledFieldsMixin, SetPasswordForm):
    """A username (the suggested one, or another free one) and a password checked by
    the password validators."""

    username = User._meta.get_field("username").formfield()
    field_order = ["username", "new_password1", "new_password2"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError(_("This username is taken."))
        # The password validators compare the password with the chosen username.
        self.user.username = username
        return username


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def users_invite(request: AuthedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if form.is_valid():
        try:
            user = invitations.invitation_send(
                **form.cleaned_data,
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except InputError as exc:
            form.add_error("email", str(exc))
        except invitations.InvitationNotSent as exc:
            messages.error(
                request,
                _("%(error)s. The invitation is pending: invite again to retry.") % {"error": exc},
            )
            return redirect("users-invite")
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s (%(role)s).")
                % {"email": user.email, "role": user.get_role_display()},
            )
            return redirect("users-invite")
    context = {"form": form, "pending": invitations.invitations_pending()}
    return render(request, "annotator/users_invite.html", context)


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = invitations.invitation_user(uidb64, token)
    if user is None:
        return render(request, "annotator/invitation_invalid.html", status=400)
    form = AcceptForm(user, request.POST or None, initial={"username": user.username})
    if form.is_valid():
        invitations.invitation_accept(
            user=user,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["new_password1"],
        )
        # The backend that checks passwords; the first one (django-axes) only watches.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome, %(name)s: your account is ready.") % {"name": user.get_username()}
        )
        return redirect("home")
    return render(request, "annotator/invitation_accept.html", {"form": form, "invited": user})
