"""Static files in production: collectstatic writes content-hashed, compressed copies
and whitenoise serves them with a one-year cache (without it, DEBUG off answered 404
for every stylesheet and script). The production smoke test does it with every app's
files; here the project's own folder, which holds the vendored libraries."""

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command

FILES = ["vendor/bootstrap/bootstrap.min.css", "js/behaviours.js"]


@pytest.fixture
def collected(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings.STATIC_ROOT


@pytest.mark.parametrize("name", FILES)
def test_it_serves_hashed_names_with_a_long_cache(client, collected, name):
    url = staticfiles_storage.url(name)
    assert url != f"/static/{name}"  # a hash in the name
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert b"".join(response.streaming_content)


def test_it_serves_them_compressed(client, collected):
    url = staticfiles_storage.url(FILES[0])
    plain = client.get(url)
    response = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert response["Content-Encoding"] == "br"
    assert int(response["Content-Length"]) < int(plain["Content-Length"]) / 4


def test_it_keeps_only_the_hashed_names(client, collected):
    assert client.get(f"/static/{FILES[0]}").status_code in {302, 404}
    assert not (collected / FILES[0]).exists()
