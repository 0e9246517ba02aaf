"""The reprocess form goes back to the page it was sent from, never to another site."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/videos/", "//evil.example/videos/", "javascript:alert(1)", ""],
)
def test_it_refuses_to_redirect_off_site(client, admin_user, next_url):
    client.force_login(admin_user)
    response = client.post(reverse("videos-reprocess"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("video-list")


def test_it_returns_to_the_list_it_came_from(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("videos-reprocess"), {"next": "/videos/?status=failed&page=2"})
    assert response["Location"] == "/videos/?status=failed&page=2"
