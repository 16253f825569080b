"""Imports: the author and directors see a job; contacts are imported by KAMs and assistants too,
everything else by directors only. A job someone else uploaded is a 404; only its author starts it.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from kam.clients.models import Contact
from kam.imports.models import ImportJob, ImportStatus, MappingPreset
from tests.imports.files import csv_bytes, import_file, upload

from .matrix import DIRECTOR_ONLY, EVERYONE, Route, exists, gone

# Whoever edits dossiers: the outsider is a KAM, the client's assistant an assistant.
CONTACT_IMPORTERS = frozenset({"director", "kam", "assistant", "client_assistant", "outsider"})
AUTHOR_AND_DIRECTOR = frozenset({"director", "kam"})


def _contacts(client_code: str) -> bytes:
    return csv_bytes([["Код клиента", "ФИО"], [client_code, "Пётр Петров"]])


def _uploaded(w, author=None) -> dict:
    author = author or w.kam
    client = w.own if author == w.kam else w.foreign
    return {"pk": upload(author, "contacts", _contacts(client.erp_code)).pk}


def _failed(w, author=None) -> dict:
    return {"pk": import_file(author or w.kam, "contacts", _contacts("NO-SUCH-CODE")).pk}


def _interrupted(w, author=None) -> dict:
    job = upload(
        author or w.kam, "contacts", _contacts((w.own if author is None else w.foreign).erp_code)
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.INTERRUPTED)
    return {"pk": job.pk}


def _someone_else(w):
    # The outsider's job is foreign to everyone but the outsider, who gets the KAM's instead.
    return w.outsider if w.persona != "outsider" else w.kam


def _posted_file(w) -> dict:
    return {"kind": "contacts", "file": SimpleUploadedFile("posted.csv", _contacts("NO-CODE"))}


def _imported(w, kwargs):
    """The job's contact (own's, or foreign's for a job of the outsider) was written."""
    return Contact.objects.filter(full_name="Пётр Петров").exists()


def _directors_job(w) -> dict:
    upload(w.director, "products", csv_bytes([["SKU", "Name"], ["X1", "X"]]), "director-only.csv")
    return {}


def _preset(w, author=None, kind="contacts", name="Контакты из CRM") -> dict:
    preset = MappingPreset.objects.create(
        kind=kind, name=name, signature=name, created_by=author or w.kam
    )
    return {"pk": preset.pk}


def _remapped(w, kwargs) -> bool:
    return ImportJob.objects.get(pk=kwargs["pk"]).mapping["fields"] == ["client", None]


ROUTES = [
    Route(
        "imports:list",
        own=_directors_job,
        allowed=EVERYONE,
        hidden_from_list=lambda w: "director-only.csv",
    ),
    Route("imports:new", allowed=CONTACT_IMPORTERS, denied_status=lambda persona: 403),
    Route(
        "imports:new",
        method="post",
        data=_posted_file,
        allowed=CONTACT_IMPORTERS,
        ok_status=(302,),
        denied_status=lambda persona: 403,
        done=exists(ImportJob, original_name="posted.csv"),
    ),
    Route(
        "imports:template",
        own=lambda w: {"kind": "contacts"},
        allowed=CONTACT_IMPORTERS,
        denied_status=lambda persona: 403,
    ),
    Route(
        "imports:template",
        own=lambda w: {"kind": "sales"},
        allowed=DIRECTOR_ONLY,
        denied_status=lambda persona: 403,
    ),
    Route(
        "imports:detail",
        own=_uploaded,
        foreign=lambda w: _uploaded(w, _someone_else(w)),
        allowed=AUTHOR_AND_DIRECTOR,
        denied_status=lambda persona: 404,
    ),
    Route(
        "imports:progress",
        own=_uploaded,
        foreign=lambda w: _uploaded(w, _someone_else(w)),
        allowed=AUTHOR_AND_DIRECTOR,
        denied_status=lambda persona: 404,
    ),
    Route(
        "imports:confirm",
        method="post",
        own=_uploaded,
        foreign=lambda w: _uploaded(w, _someone_else(w)),
        allowed=frozenset({"kam"}),
        ok_status=(302,),
        done=_imported,
        denied_status=lambda persona: 404,
        extra={"foreign_for_director": True},
    ),
    Route(
        "imports:retry",
        method="post",
        own=_interrupted,
        foreign=lambda w: _interrupted(w, _someone_else(w)),
        allowed=frozenset({"kam"}),
        ok_status=(302,),
        done=_imported,  # run again, to its end (the test runs tasks at once)
        denied_status=lambda persona: 404,
        extra={"foreign_for_director": True},
    ),
    Route(
        "imports:errors_xlsx",
        own=_failed,
        foreign=lambda w: _failed(w, _someone_else(w)),
        allowed=AUTHOR_AND_DIRECTOR,
        denied_status=lambda persona: 404,
    ),
    Route(
        "imports:remap",
        method="post",
        own=_uploaded,
        foreign=lambda w: _uploaded(w, _someone_else(w)),
        data=lambda w: {"column-0": "client", "column-1": ""},
        allowed=frozenset({"kam"}),
        ok_status=(302,),
        done=_remapped,
        denied_status=lambda persona: 404,
        extra={"foreign_for_director": True},
    ),
    Route(
        "imports:preset_save",
        method="post",
        own=_uploaded,
        foreign=lambda w: _uploaded(w, _someone_else(w)),
        data=lambda w: {"name": "Контакты"},
        allowed=frozenset({"kam"}),
        ok_status=(302,),
        done=exists(MappingPreset, name="Контакты"),
        denied_status=lambda persona: 404,
        extra={"foreign_for_director": True},
    ),
    Route(
        "imports:delete",
        method="post",
        own=_uploaded,
        foreign=lambda w: _uploaded(w, _someone_else(w)),
        allowed=AUTHOR_AND_DIRECTOR,
        ok_status=(302,),
        done=gone(ImportJob),
        denied_status=lambda persona: 404,
    ),
    Route(
        "imports:presets",
        own=lambda w: _preset(w, w.director, "products", "director-only preset") and {},
        allowed=CONTACT_IMPORTERS,
        denied_status=lambda persona: 403,
        hidden_from_list=lambda w: "director-only preset",
    ),
    Route(
        "imports:preset_delete",
        method="post",
        own=_preset,
        allowed=AUTHOR_AND_DIRECTOR,
        ok_status=(302,),
        done=gone(MappingPreset),
        # Those who import contacts see the preset but may not delete it; the others do not see it.
        denied_status=lambda persona: 403 if persona in CONTACT_IMPORTERS else 404,
    ),
]
