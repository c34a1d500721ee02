"""Scanned documents: a file is what its bytes say (PDF, JPEG, PNG), within the size limit, stored on disk by
default or in S3-compatible storage when configured — tested for real against an in-process fake S3 server
(moto) on the loopback address."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from onestop import services as onestop
from onestop.models import Attachment
from onestop.storage import FILE_BACKEND, S3_BACKEND, default_storage_settings, describe
from tests.test_onestop import at_desk, desk_officer  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(48))
BUCKET = "bcci-scans"


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


# --- Configuration -----------------------------------------------------------------------------------------


def test_file_storage_by_default():
    assert default_storage_settings({}) == {"BACKEND": FILE_BACKEND}
    assert default_storage_settings({"STORAGE_BACKEND": "file", "S3_BUCKET": "ignored"}) == {"BACKEND": FILE_BACKEND}


def test_s3_settings_from_the_environment():
    config = default_storage_settings({
        "STORAGE_BACKEND": "S3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": "https://s3.hcm.example.vn:9000/",
        "S3_ACCESS_KEY_ID": "AKIA123", "S3_SECRET_ACCESS_KEY": "very-secret", "S3_REGION": "ap-southeast-1"})
    assert config["BACKEND"] == S3_BACKEND
    options = config["OPTIONS"]
    assert options["bucket_name"] == BUCKET and options["endpoint_url"] == "https://s3.hcm.example.vn:9000"
    assert options["access_key"] == "AKIA123" and options["secret_key"] == "very-secret"
    assert options["region_name"] == "ap-southeast-1" and options["addressing_style"] == "path"
    assert options["file_overwrite"] is False and options["default_acl"] is None
    assert "very-secret" not in describe(config) and BUCKET in describe(config)
    # Neither key: boto3's own credential chain (an instance role); AWS itself without an endpoint.
    plain = default_storage_settings({"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET})["OPTIONS"]
    assert "access_key" not in plain and "endpoint_url" not in plain


@pytest.mark.parametrize(("env", "variable"), [
    ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND"),
    ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "Bad_Bucket"}, "S3_BUCKET"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": "s3.example.vn"}, "S3_ENDPOINT_URL"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ACCESS_KEY_ID": "AKIA123"}, "S3_SECRET_ACCESS_KEY"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_SECRET_ACCESS_KEY": "x"}, "S3_ACCESS_KEY_ID"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_REGION": "Sài Gòn"}, "S3_REGION"),
])
def test_bad_or_missing_values_name_the_variable(env, variable):
    with pytest.raises(ImproperlyConfigured) as err:
        default_storage_settings(env)
    text = str(err.value)
    assert f"iến môi trường {variable}" in text and f"Environment variable {variable}" in text
    assert "very-secret" not in text


@pytest.mark.parametrize(("env", "variable"), [
    ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": "ftp://x"}, "S3_ENDPOINT_URL"),
])
def test_bad_storage_settings_stop_startup(tmp_path, env, variable):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TASK_BACKEND", "DEBUG")
                and not k.startswith(("S3_", "STORAGE_"))}
    full_env.update({"BCCI_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "bcci.settings", **env})
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check"], env=full_env, capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode != 0
    assert f"Environment variable {variable}" in result.stderr and "ImproperlyConfigured" in result.stderr


# --- Content sniffing (files on disk) ---------------------------------------------------------------------------


def test_a_file_is_what_its_bytes_say(at_desk, desk_officer, settings):  # noqa: F811
    dossier = at_desk()
    png = onestop.attach(dossier, desk_officer, SimpleUploadedFile("giay-to.pdf", PNG, "application/pdf"),
                         document_name="Giấy chứng sinh")
    assert png.content_type == "image/png" and png.file.name.endswith(".png") and png.original_name == "giay-to.pdf"
    assert png.sha256 == hashlib.sha256(PNG).hexdigest() and png.size == len(PNG)
    assert (Path(settings.MEDIA_ROOT) / png.file.name).read_bytes() == PNG
    jpeg = onestop.attach(dossier, desk_officer, SimpleUploadedFile("scan", JPEG))
    assert jpeg.content_type == "image/jpeg" and jpeg.file.name.endswith(".jpg")
    pdf = onestop.attach(dossier, desk_officer, SimpleUploadedFile("to-khai.png", PDF, "image/png"))
    assert pdf.content_type == "application/pdf" and pdf.file.name.endswith(".pdf")
    assert AuditEvent.objects.filter(action="onestop.attached").count() == 3


def test_text_and_oversize_are_refused_and_nothing_is_written(at_desk, desk_officer, settings):  # noqa: F811
    dossier = at_desk()
    media = Path(settings.MEDIA_ROOT)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as err:
        onestop.attach(dossier, desk_officer, SimpleUploadedFile("scan.pdf", b"Day la van ban, khong phai PDF"))
    assert list(err.value.message_dict) == ["file"] and " / " in err.value.message_dict["file"][0]
    with pytest.raises(ValidationError):  # an HTML page named .jpg
        onestop.attach(dossier, desk_officer, SimpleUploadedFile("anh.jpg", b"<html><script>alert(1)</script>"))
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as err:
        onestop.attach(dossier, desk_officer, SimpleUploadedFile("big.pdf", PDF + b"0" * 2048))
    assert "file" in err.value.message_dict
    with pytest.raises(ValidationError):
        onestop.attach(dossier, desk_officer, None)
    assert not Attachment.objects.exists() and AuditEvent.objects.count() == events
    assert files_under(media) == []


# --- S3-compatible storage, against a fake S3 server on the loopback address -----------------------------------


@pytest.fixture
def s3_storage(settings, monkeypatch):
    """A moto S3 server on 127.0.0.1 (a free port), a bucket, and the default storage pointed at it through
    the same settings function start-up uses."""
    import boto3
    from moto.server import ThreadedMotoServer

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    config = default_storage_settings({
        "STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": endpoint, "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing-secret", "S3_REGION": "us-east-1"})
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing-secret", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": config}
    try:
        yield client
    finally:
        server.stop()


def test_attachment_round_trips_through_s3(at_desk, desk_officer, s3_storage, settings, client):  # noqa: F811
    from storages.backends.s3 import S3Storage

    assert isinstance(storages["default"], S3Storage)
    assert isinstance(default_storage, S3Storage)  # what Attachment.file uses
    dossier = at_desk()
    data = PDF + os.urandom(4096)
    attachment = onestop.attach(dossier, desk_officer, SimpleUploadedFile("to-khai.pdf", data, "application/pdf"))
    stored = Attachment.objects.get(pk=attachment.pk)
    # The object is in the bucket, under the name the row records, and nothing went to the disk.
    keys = [o["Key"] for o in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [stored.file.name]
    assert s3_storage.get_object(Bucket=BUCKET, Key=stored.file.name)["Body"].read() == data
    assert files_under(Path(settings.MEDIA_ROOT)) == []
    with stored.file.open("rb") as handle:
        read_back = handle.read()
    assert hashlib.sha256(read_back).hexdigest() == stored.sha256 == hashlib.sha256(data).hexdigest()
    # The same file through the API's download, and a refused file writes nothing to the bucket either.
    client.force_login(desk_officer)
    from django.urls import reverse

    answer = client.get(reverse("api:onestop-attachment-download", args=[dossier.tracking_code, stored.pk]))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(answer.streaming_content)).hexdigest() == stored.sha256
    with pytest.raises(ValidationError):
        onestop.attach(dossier, desk_officer, SimpleUploadedFile("x.pdf", b"plain text"))
    assert len(s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]) == 1
    # A second scan with the same bytes is stored beside the first, never over it.
    second = onestop.attach(dossier, desk_officer, SimpleUploadedFile("to-khai.pdf", data))
    assert second.file.name != stored.file.name
    assert len(s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]) == 2
