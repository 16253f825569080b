"""Exports written in the background: a job and its file are their author's alone — a director
included, anyone else gets 404 (the file holds what its author could see)."""

from django.core.files.base import ContentFile

from kam.core.models import ExportJob, ExportStatus

from .matrix import EVERYONE, Route


def _job(w, author=None) -> dict:
    job = ExportJob(
        name="kam.clients.views.client_export",
        title="Clients",
        created_by=author or w.kam,
        status=ExportStatus.SUCCEEDED,
        filename="clients.xlsx",
        total_rows=1,
    )
    job.file.save("clients.xlsx", ContentFile(b"PK"), save=False)
    job.save()
    return {"pk": job.pk}


def _someone_elses(w) -> dict:
    # The outsider's job is foreign to everyone but the outsider, who gets the KAM's instead.
    return _job(w, w.outsider if w.persona != "outsider" else w.kam)


def _author_only(name: str) -> Route:
    return Route(
        f"exports:{name}",
        own=_job,
        foreign=_someone_elses,
        allowed=frozenset({"kam"}),
        denied_status=lambda persona: 404,
    )


ROUTES = [
    Route("exports:list", allowed=EVERYONE),
    _author_only("detail"),
    _author_only("progress"),
    _author_only("download"),
]
