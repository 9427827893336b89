"""Background work of the core: import jobs and housekeeping."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from karte.core.importing import jobs
from karte.core.models import ImportJob

# Uploaded sheets are kept this long for the record of what was imported, then deleted.
IMPORT_FILE_RETENTION = timedelta(days=90)


@db_task()
def preview_import_job(job_id: int) -> None:
    jobs.run_preview(job_id)


@db_task()
def apply_import_job(job_id: int) -> None:
    jobs.run_apply(job_id)


@db_periodic_task(crontab(hour="3", minute="15"))
def purge_old_import_files() -> int:
    """Delete uploaded files of old import jobs; the jobs and their previews stay. Returns the count."""
    purged = 0
    for job in ImportJob.objects.filter(created_at__lt=timezone.now() - IMPORT_FILE_RETENTION).exclude(
        file=""
    ):
        job.file.delete(save=False)
        job.file = ""
        job.save(update_fields=["file"])
        purged += 1
    return purged
