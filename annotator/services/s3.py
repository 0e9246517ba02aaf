"""S3: importing videos from a bucket prefix, and the bucket's CORS rules."""

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.translation import gettext

from annotator.core.errors import InputError


def s3_client() -> Any:
    """The client of the S3 media storage when there is one, else one built from the
    S3_* settings (to import from a bucket while storing media locally)."""
    connection = getattr(default_storage, "connection", None)
    if connection is not None:
        return connection.meta.client
    return boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL or None,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY or None,
        region_name=settings.S3_REGION or None,
    )


def s3_files(*, bucket: str, prefix: str) -> Iterator[tuple[str, Path]]:
    """(key relative to the prefix, local copy) of each object under the prefix; each
    copy lasts until the next one is yielded."""
    client = s3_client()
    prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
    try:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.endswith("/"):
                    continue
                with tempfile.NamedTemporaryFile(suffix=Path(key).suffix) as tmp:
                    client.download_fileobj(bucket, key, tmp)
                    tmp.flush()
                    yield key[len(prefix) :], Path(tmp.name)
    except (BotoCoreError, ClientError) as exc:
        raise InputError(
            gettext("s3://%(bucket)s/%(prefix)s: %(error)s")
            % {"bucket": bucket, "prefix": prefix, "error": exc}
        ) from exc


def s3_configure_cors(*, bucket: str, origins: list[str]) -> None:
    """Lets pages from these origins fetch media with Range requests and read the
    pixels (drawing frames to a canvas needs CORS on a cross-origin video)."""
    rules = [
        {
            "AllowedOrigins": origins,
            "AllowedMethods": ["GET", "HEAD"],
            "AllowedHeaders": ["Range", "Origin"],
            "ExposeHeaders": ["Content-Range", "Content-Length", "Accept-Ranges", "ETag"],
            "MaxAgeSeconds": 3600,
        }
    ]
    s3_client().put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
