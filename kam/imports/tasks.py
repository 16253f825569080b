from django_tasks import task

from .engine import run_import


@task()
def import_task(job_id: int) -> None:
    run_import(job_id)
