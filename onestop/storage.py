"""Where scanned documents (``onestop.Attachment``) are kept: on disk under MEDIA_ROOT by default, or in an
S3-compatible bucket (AWS S3, MinIO, Ceph, a provincial data centre's object store) through django-storages.

Chosen by the environment and wired into ``STORAGES["default"]`` by bcci/settings.py:

* ``STORAGE_BACKEND`` — ``file`` (default) or ``s3``;
* ``S3_BUCKET`` — the bucket (required with ``s3``);
* ``S3_ENDPOINT_URL`` — an S3-compatible server, e.g. ``https://s3.hcm.example.vn`` (empty: AWS itself);
  path-style addressing is used with an endpoint, as most S3-compatible servers expect;
* ``S3_ACCESS_KEY_ID`` / ``S3_SECRET_ACCESS_KEY`` — both or neither (neither: boto3's own credential
  chain, e.g. an instance role);
* ``S3_REGION`` — e.g. ``ap-southeast-1`` (optional).

A bad or missing value stops start-up with a Vietnamese / English ``ImproperlyConfigured`` naming the
variable. The bucket is private: files are only ever read back through the application (the attachment
download endpoint checks the caller's scope), never through public URLs.

This module is imported by the settings: it must not import models or anything needing Django set up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

FILE_BACKEND = "django.core.files.storage.FileSystemStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"
BACKENDS = ("file", "s3")
# S3 bucket naming rules: 3–63 characters, lower-case letters, digits, dots and hyphens, starting and
# ending with a letter or digit.
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
REGION_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _invalid(name: str, value: str, expected_vi: str, expected_en: str) -> ImproperlyConfigured:
    shown = "***" if "SECRET" in name else value
    return ImproperlyConfigured(
        f"Biến môi trường {name}={shown!r} không hợp lệ: cần {expected_vi}. / "
        f"Environment variable {name}={shown!r} is invalid: expected {expected_en}.")


def _missing(name: str, when_vi: str, when_en: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"Thiếu biến môi trường {name} (bắt buộc khi {when_vi}). / "
        f"Environment variable {name} is required when {when_en}.")


def storage_backend(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    raw = environ.get("STORAGE_BACKEND")
    if raw is None or not raw.strip():
        return "file"
    value = raw.strip().lower()
    if value not in BACKENDS:
        raise _invalid("STORAGE_BACKEND", raw, "file hoặc s3", "file or s3")
    return value


def default_storage_settings(environ: Mapping[str, str] | None = None) -> dict:
    """``STORAGES["default"]`` for the environment (``os.environ`` unless given)."""
    environ = os.environ if environ is None else environ
    if storage_backend(environ) == "file":
        return {"BACKEND": FILE_BACKEND}

    def get(name: str) -> str:
        return (environ.get(name) or "").strip()

    bucket = get("S3_BUCKET")
    if not bucket:
        raise _missing("S3_BUCKET", "STORAGE_BACKEND=s3", "STORAGE_BACKEND=s3")
    if not BUCKET_RE.match(bucket) or ".." in bucket:
        raise _invalid("S3_BUCKET", bucket, "tên bucket S3 (3–63 ký tự: chữ thường, số, dấu chấm, gạch nối)",
                       "an S3 bucket name (3–63 characters: lower-case letters, digits, dots, hyphens)")
    options: dict = {
        "bucket_name": bucket,
        "file_overwrite": False,  # a name already taken gets a suffix: a stored scan is never replaced
        "default_acl": None,  # private: the bucket's own policy, no public-read
        "querystring_auth": True,
        "signature_version": "s3v4",
    }
    endpoint = get("S3_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise _invalid("S3_ENDPOINT_URL", endpoint, "một URL dạng https://máy-chủ[:cổng]",
                           "a URL such as https://host[:port]")
        options["endpoint_url"] = endpoint.rstrip("/")
        options["addressing_style"] = "path"
        options["use_ssl"] = parts.scheme == "https"
    key_id, secret = get("S3_ACCESS_KEY_ID"), get("S3_SECRET_ACCESS_KEY")
    if key_id and not secret:
        raise _missing("S3_SECRET_ACCESS_KEY", "đã đặt S3_ACCESS_KEY_ID", "S3_ACCESS_KEY_ID is set")
    if secret and not key_id:
        raise _missing("S3_ACCESS_KEY_ID", "đã đặt S3_SECRET_ACCESS_KEY", "S3_SECRET_ACCESS_KEY is set")
    if key_id:
        if any(c.isspace() for c in key_id):
            raise _invalid("S3_ACCESS_KEY_ID", key_id, "mã khóa không có khoảng trắng", "a key id without spaces")
        options["access_key"], options["secret_key"] = key_id, secret
    region = get("S3_REGION")
    if region:
        if not REGION_RE.match(region):
            raise _invalid("S3_REGION", region, "tên vùng, ví dụ ap-southeast-1", "a region name such as "
                                                                                  "ap-southeast-1")
        options["region_name"] = region
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def describe(config: dict) -> str:
    """One line for logs and the health page: which storage, never a secret."""
    if config["BACKEND"] == FILE_BACKEND:
        return "file"
    options = config.get("OPTIONS", {})
    return f"s3:{options.get('bucket_name')}@{options.get('endpoint_url', 'aws')}"
