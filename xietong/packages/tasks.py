"""Background work of packages: thin wrappers around the job services, safe to run twice."""

from __future__ import annotations

import uuid

from django_tasks import task

from xietong.packages.jobs import import_job_run


@task()
def run_import_job(job_id: str) -> str:
    """Run a queued web import (its preview or the real import); returns the job's final status."""
    return import_job_run(job_id=uuid.UUID(job_id))
