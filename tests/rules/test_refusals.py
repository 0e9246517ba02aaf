"""One vocabulary of refusals (annotator.core.errors), answered alike wherever a view
lets one through: the same kind has the same status on every page and in the API."""

import html

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.decorators import api_view

from annotator.core.errors import Conflict, InputError, Unavailable, refusal

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

KINDS: dict[str, Exception] = {
    "input": InputError(["name: the name is empty.", "weight: not a number."]),
    "fields": InputError({"text": "The criterion needs a text."}),
    "denied": PermissionDenied("Only reviewers freeze releases."),
    "conflict": Conflict("Changed by ana at 10:00; your edit was not saved."),
    "unavailable": Unavailable("No language model is configured."),
}
PAGE_STATUS = {"input": 422, "fields": 422, "denied": 403, "conflict": 409, "unavailable": 503}
API_STATUS = {"input": 400, "fields": 400, "denied": 403, "conflict": 409, "unavailable": 503}


def refusing_page(request: HttpRequest, kind: str) -> HttpResponse:
    raise KINDS[kind]


@api_view(["GET", "POST"])
def refusing_endpoint(request: HttpRequest, kind: str) -> HttpResponse:
    raise KINDS[kind]


urlpatterns = [
    path("refuse/<str:kind>", refusing_page),
    path("api/v1/refuse/<str:kind>", refusing_endpoint),
    path("", include("annotator.urls")),
]


@pytest.fixture
def client(client, reviewer_user):
    client.force_login(reviewer_user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_refusal_by_field_names_the_field():
    assert refusal(KINDS["fields"]).messages == ["text: The criterion needs a text."]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_one_status_on_pages_and_one_in_the_api(kind):
    found = refusal(KINDS[kind])
    assert (found.page_status, found.api_status) == (PAGE_STATUS[kind], API_STATUS[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_an_htmx_request_gets_the_message_in_the_refusal_area(client, kind):
    response = client.post(f"/refuse/{kind}", HTTP_HX_REQUEST="true")
    assert response.status_code == PAGE_STATUS[kind]
    assert response["HX-Retarget"] == "#refusals" and response["HX-Reswap"] == "innerHTML"
    for message in refusal(KINDS[kind]).messages:
        assert message in text(response)


def test_the_page_has_the_refusal_area_and_htmx_swaps_each_status(client):
    page = client.get("/benchmarks/").content.decode()
    assert '<div id="refusals"' in page
    assert '"(403|409|422|503)", "swap": true' in page


def test_a_form_posted_from_a_page_goes_back_there_with_the_message(client):
    response = client.post("/refuse/conflict", HTTP_REFERER="http://testserver/benchmarks/")
    assert response.status_code == 302 and response["Location"] == "http://testserver/benchmarks/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Changed by ana at 10:00; your edit was not saved."
    ]
    assert "your edit was not saved" in text(client.get("/benchmarks/"))


def test_it_never_goes_back_to_another_site(client):
    response = client.post("/refuse/input", HTTP_REFERER="https://elsewhere.example/")
    assert response.status_code == 422
    assert "name: the name is empty." in text(response)


def test_a_script_asking_for_json_gets_json(client):
    response = client.post("/refuse/input", HTTP_ACCEPT="application/json")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "name: the name is empty. weight: not a number.",
        "problems": ["name: the name is empty.", "weight: not a number."],
    }


def test_a_refused_query_is_a_bad_request_and_denied_rights_keep_the_403_page(client):
    response = client.get("/refuse/input")
    assert response.status_code == 400 and "name: the name is empty." in text(response)
    for method in (client.get, client.post):
        response = method("/refuse/denied", HTTP_REFERER="http://testserver/benchmarks/")
        assert response.status_code == 403 and "Only reviewers freeze releases." in text(response)


@pytest.mark.parametrize("kind", KINDS)
def test_the_api_answers_each_kind_with_its_status_and_a_detail(client, kind):
    response = client.post(f"/api/v1/refuse/{kind}")
    assert response.status_code == API_STATUS[kind]
    body = response.json()
    assert body["detail"]
    if kind == "fields":
        assert body["errors"] == {"text": ["The criterion needs a text."]}
    elif kind == "input":
        assert body["problems"] == refusal(KINDS[kind]).messages
    else:
        assert body["detail"] == refusal(KINDS[kind]).message
