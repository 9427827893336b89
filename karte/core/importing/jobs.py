"""Import jobs: an uploaded sheet is previewed, then applied, in the request or on a worker."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from karte.core.choices import ImportJobStatus
from karte.core.importing.base import apply_plan, build_plan
from karte.core.importing.registry import get_importer
from karte.core.importing.tabular import TableError
from karte.core.models import ImportJob

logger = logging.getLogger(__name__)

UNEXPECTED = (
    "取り込み中に予期しないエラーが発生しました。"
    "ファイルの内容を確認し、解決しない場合は管理者に連絡してください。"
)
CHANGED_SINCE_PREVIEW = (
    "確認の後に登録内容が変わったため、取り込めませんでした。もう一度ファイルを確認してください。"
)
TOO_LARGE = "ファイルが大きすぎます（上限 {limit} MB）。"


class ImportRefused(Exception):
    """The upload cannot start: str() is the Japanese message for the user."""


def start_import(kind: str, upload: UploadedFile, user, options: dict | None = None) -> ImportJob:
    """Store an upload as a job and preview it; large files are previewed by a worker."""
    options = options or {}
    importer = get_importer(kind)(user, **options)
    if not importer.permitted():
        raise ImportRefused("この取り込みを行う権限がありません。")
    if upload.size > settings.KARTE_IMPORT_MAX_BYTES:
        raise ImportRefused(TOO_LARGE.format(limit=settings.KARTE_IMPORT_MAX_BYTES // (1024 * 1024)))
    job = ImportJob.objects.create(
        kind=kind,
        file=upload,
        original_name=upload.name[:255],
        size_bytes=upload.size,
        created_by=user,
        options=options,
    )
    if job.size_bytes <= settings.KARTE_IMPORT_INLINE_MAX_BYTES:
        run_preview(job.pk)
        job.refresh_from_db()
    else:
        from karte.core.tasks import preview_import_job

        preview_import_job(job.pk)
    return job


def _progress_saver(job: ImportJob):
    def save(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=done, rows_total=total)

    return save


def run_preview(job_id: int) -> None:
    """Preview a job's file and keep the result on the job."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.PREVIEWING)
    importer = get_importer(job.kind)(job.created_by, **job.options)
    try:
        plan = build_plan(importer, job.file.path, _progress_saver(job), filename=job.original_name)
    except TableError as exc:
        _fail(job, str(exc))
        return
    except Exception:
        logger.exception("preview of import job %s failed", job.pk)
        _fail(job, UNEXPECTED)
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.PREVIEWED, preview=plan.as_dict(importer), message=""
    )


def request_apply(job: ImportJob) -> None:
    """Apply a previewed job without errors, in the request for small files, else on a worker."""
    if job.status != ImportJobStatus.PREVIEWED or job.preview.get("counts", {}).get("errors"):
        raise ImportRefused("エラーのない確認済みの取り込みだけを反映できます。")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.APPLYING, rows_done=0)
    if job.size_bytes <= settings.KARTE_IMPORT_INLINE_MAX_BYTES:
        run_apply(job.pk)
    else:
        from karte.core.tasks import apply_import_job

        apply_import_job(job.pk)


def run_apply(job_id: int) -> None:
    """Apply a job: the file is read again so that what lands matches the database now, all or nothing."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    importer = get_importer(job.kind)(job.created_by, **job.options)
    progress = _progress_saver(job)
    try:
        plan = build_plan(importer, job.file.path, filename=job.original_name)
        if plan.has_errors:
            _fail(job, CHANGED_SINCE_PREVIEW)
            return
        apply_plan(importer, plan, progress)
    except TableError as exc:
        _fail(job, str(exc))
        return
    except Exception:
        logger.exception("apply of import job %s failed", job.pk)
        _fail(job, UNEXPECTED)
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.APPLIED, applied_at=timezone.now(), preview=plan.as_dict(importer)
    )


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.FAILED, message=message)
