from django_tasks import task


@task()
def export_task(job_id: int) -> None:
    from .exports import run_export

    run_export(job_id)
