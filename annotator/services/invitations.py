"""Inviting people by email: an admin names an email and a role; the account is made at
once, inactive and without a password, and the person gets a one-time link where they
choose their username and password, which activates it.

A pending invitation is such an account: inactive, with an unusable password, never
logged in. The link is Django's password-reset token, which stops working once the
password is set (it hashes the password) or after PASSWORD_RESET_TIMEOUT."""

import re

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext

from annotator.core.errors import InputError, Unavailable
from annotator.models import User
from annotator.models.choices import Role
from annotator.services.users import user_set_role


class InvitationNotSent(Unavailable):
    """The account was made (or kept) but the email could not be sent."""


def invitations_pending() -> QuerySet[User]:
    return User.objects.filter(
        is_active=False, last_login__isnull=True, password__startswith=UNUSABLE_PASSWORD_PREFIX
    ).order_by("-date_joined")


def _is_pending(user: User) -> bool:
    """As invitations_pending() selects them."""
    return (
        not user.is_active
        and user.last_login is None
        and user.password.startswith(UNUSABLE_PASSWORD_PREFIX)
    )


def _free_username(email: str) -> str:
    """A username from the email's local part, numbered when it is taken."""
    base = re.sub(r"[^\w.+-]", "", email.split("@")[0])[:140] or "user"
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}{n}"
    return username


def invitation_url(user: User, base_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return base_url.rstrip("/") + reverse("invitation-accept", args=[uid, token])


def invitation_send(*, email: str, role: str, invited_by: User, base_url: str) -> User:
    """Makes the pending account (or takes the pending one for this email, with the new
    role) and emails the link. Refused for an email that already has an account.
    `base_url` is the site's address the link starts with (scheme and host)."""
    email = User.objects.normalize_email(email.strip())
    try:
        validate_email(email)
    except ValidationError:
        raise InputError(
            gettext("%(email)s is not an email address.") % {"email": repr(email)}
        ) from None
    if role not in Role.values:
        raise InputError(gettext("Unknown role %(role)s.") % {"role": repr(role)})
    with transaction.atomic():
        accounts = list(User.objects.select_for_update().filter(email__iexact=email))
        if active := next((u for u in accounts if u.is_active), None):
            raise InputError(
                gettext("%(email)s already has an account: %(username)s.")
                % {"email": email, "username": active.get_username()}
            )
        user = next((u for u in accounts if _is_pending(u)), None)
        if accounts and user is None:
            raise InputError(
                gettext(
                    "%(email)s belongs to a deactivated account (%(username)s): "
                    "reactivate it in the admin instead."
                )
                % {"email": email, "username": accounts[0].get_username()}
            )
        if user is None:
            user = User(username=_free_username(email), email=email, is_active=False)
            user.set_unusable_password()
        # Recorded in the audit log as the inviter's doing.
        user._history_user = invited_by
        if user.pk is None:
            user.save()
        user_set_role(user=user, role=role)
    subject = "Your MicroWorld Annotator account"
    body = (
        f"{invited_by.get_username()} invited you to MicroWorld Annotator as {user.role}.\n\n"
        f"Choose your username and password here (the link works once, for "
        f"{settings.PASSWORD_RESET_TIMEOUT // 86400} days):\n\n"
        f"{invitation_url(user, base_url)}\n"
    )
    try:
        send_mail(subject, body, None, [email])
    except OSError as exc:
        raise InvitationNotSent(
            gettext("The email to %(email)s could not be sent: %(error)s")
            % {"email": email, "error": exc}
        ) from exc
    return user


def invitation_user(uidb64: str, token: str) -> User | None:
    """The invited account the link is for; None when the link is garbled, expired or
    already used."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    if not _is_pending(user) or not default_token_generator.check_token(user, token):
        return None
    return user


def invitation_accept(*, user: User, username: str, password: str) -> User:
    """Activates the invited account with the username and password its owner chose
    (checked by the form: free, and passing the password validators)."""
    user.username = username
    user.set_password(password)
    user.is_active = True
    user._history_user = user
    user.save()
    return user
