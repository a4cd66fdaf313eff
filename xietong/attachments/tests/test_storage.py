"""Where the bytes live: the files directory by default, any Django storage when configured (S3-compatible
object storage through django-storages in production). Nothing in the attachments app may assume a
local file."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.files.storage import InMemoryStorage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xietong.attachments.services import attachment_add
from xietong.attachments.tests.conftest import stored_files
from xietong.processes.tests.route_matrix_cases import hw_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def memory_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    return storages["default"]  # changing STORAGES resets Django's cache of storage backends


def test_attachments_are_kept_and_served_through_the_configured_storage(client, world, memory_storage, media_root):
    # given: a storage that is not the file system
    assert isinstance(memory_storage, InMemoryStorage)
    run = hw_case(world).step_runs.get()
    # when
    attachment = attachment_add(
        actor=world.employee, owner=run, upload=SimpleUploadedFile("纪要.txt", "会议纪要".encode())
    )
    client.force_login(world.employee)
    response = client.get(reverse("attachments:download", args=[attachment.pk]))
    # then: the bytes went to that storage, not to the files directory, and come back from it
    assert memory_storage.exists(attachment.file.name)
    assert stored_files(media_root) == []
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == "会议纪要".encode()


def test_a_bucket_in_the_environment_selects_s3_compatible_storage(tmp_path):
    # given: the settings module read in a fresh interpreter with an S3 bucket configured
    code = (
        "import django, os; django.setup(); from django.conf import settings; "
        "d = settings.STORAGES['default']; print(d['BACKEND']); o = d['OPTIONS']; "
        "print(o['bucket_name'], o['endpoint_url'], o['default_acl'], o['location'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "xietong.config.settings",
        "XIETONG_DATA_DIR": str(tmp_path),
        "XIETONG_S3_BUCKET": "xietong-files",
        "XIETONG_S3_ENDPOINT_URL": "http://minio.intra:9000",
    }
    # when
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    # then: private objects, served only through xietong's checked download view
    assert out.split("\n")[:2] == [
        "storages.backends.s3.S3Storage",
        "xietong-files http://minio.intra:9000 private files",
    ]
