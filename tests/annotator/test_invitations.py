import re
from unittest import mock

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from annotator.models import User
from annotator.models.choices import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
INVITE = reverse("users-invite")


def invite(client, email="new.person@example.org", role=Role.REVIEWER):
    return client.post(INVITE, {"email": email, "role": role})


def link_in(message) -> str:
    return re.search(r"http://testserver(/invitations/\S+/)", message.body).group(1)


def test_it_emails_a_link_and_lists_the_invitation(client, admin_user, mailoutbox):
    client.force_login(admin_user)
    response = invite(client)
    assert response.status_code == 302

    [message] = mailoutbox
    assert message.to == ["new.person@example.org"]
    assert "boss invited you" in message.body and "as reviewer" in message.body
    user = User.objects.get(email="new.person@example.org")
    assert (user.username, user.role, user.is_active) == ("new.person", Role.REVIEWER, False)
    assert not user.has_usable_password()
    page = client.get(INVITE).content.decode()
    assert "new.person@example.org" in page and "Invitation sent" in page


def test_accepting_sets_the_password_activates_and_logs_in(client, admin_user, mailoutbox):
    client.force_login(admin_user)
    invite(client)
    client.logout()
    link = link_in(mailoutbox[0])

    form = client.get(link)
    assert form.status_code == 200
    assert 'value="new.person"' in form.content.decode()  # the suggested username
    response = client.post(
        link,
        {"username": "np", "new_password1": "a-long-pass-42", "new_password2": "a-long-pass-42"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert user.is_active and user.username == "np" and user.check_password("a-long-pass-42")
    assert get_user(client).pk == user.pk
    # The account appears in the audit log as made by the admin and activated by its owner.
    client.force_login(admin_user)
    entries = client.get(reverse("audit-log"), {"kind": "user"}).context["page"].entries
    assert [(e.who, e.action) for e in entries[:3]] == [
        ("np", "changed"),
        ("boss", "changed"),
        ("boss", "created"),
    ]


def test_a_link_works_once(client, admin_user, mailoutbox):
    client.force_login(admin_user)
    invite(client)
    client.logout()
    link = link_in(mailoutbox[0])
    data = {"username": "np", "new_password1": "a-long-pass-42", "new_password2": "a-long-pass-42"}
    assert client.post(link, data).status_code == 302
    client.logout()

    response = client.get(link)
    assert response.status_code == 400
    assert "does not work" in response.content.decode()


@pytest.mark.parametrize(
    "mangle", [lambda link: link[:-3] + "xx/", lambda link: "/invitations/zz/abc/"]
)
def test_a_garbled_link_says_so(client, admin_user, mailoutbox, mangle):
    client.force_login(admin_user)
    invite(client)
    client.logout()
    response = client.get(mangle(link_in(mailoutbox[0])))
    assert response.status_code == 400
    assert "It has expired, it was already used" in response.content.decode()


def test_an_expired_link_says_so(client, admin_user, mailoutbox, settings):
    client.force_login(admin_user)
    invite(client)
    client.logout()
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert client.get(link_in(mailoutbox[0])).status_code == 400


def test_a_weak_password_or_a_taken_username_is_refused(client, admin_user, mailoutbox):
    client.force_login(admin_user)
    invite(client)
    client.logout()
    link = link_in(mailoutbox[0])

    response = client.post(
        link, {"username": "boss", "new_password1": "123", "new_password2": "123"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This username is taken." in page and "too short" in page
    assert not User.objects.get(email="new.person@example.org").is_active


def test_an_email_with_an_active_account_is_refused(client, admin_user, mailoutbox):
    UserFactory(username="taken", email="Taken@Example.org")
    client.force_login(admin_user)
    response = invite(client, email="taken@example.org")
    assert response.status_code == 200
    assert "already has an account: taken" in response.content.decode()
    assert mailoutbox == []


def test_inviting_a_pending_email_again_resends_with_the_new_role(client, admin_user, mailoutbox):
    client.force_login(admin_user)
    invite(client, role=Role.ANNOTATOR)
    invite(client, role=Role.ADMIN)
    assert len(mailoutbox) == 2
    [user] = User.objects.filter(email="new.person@example.org")
    assert user.role == Role.ADMIN and not user.is_active
    # Both links lead to the one account.
    assert link_in(mailoutbox[0]).split("/")[2] == link_in(mailoutbox[1]).split("/")[2]


def test_a_failed_email_leaves_the_invitation_pending(client, admin_user):
    client.force_login(admin_user)
    with mock.patch("annotator.services.invitations.send_mail", side_effect=OSError("refused")):
        response = invite(client)
    assert response.status_code == 302
    page = client.get(INVITE).content.decode()
    assert "could not be sent" in page and "new.person@example.org" in page


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.REVIEWER])
def test_annotators_and_reviewers_cannot_invite(client, role, mailoutbox):
    client.force_login(UserFactory(role=role))
    assert client.get(INVITE).status_code == 403
    assert invite(client).status_code == 403
    assert mailoutbox == [] and not User.objects.filter(email="new.person@example.org").exists()
