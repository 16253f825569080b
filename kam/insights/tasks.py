from django_tasks import task


@task()
def recompute_task(user_id: int | None = None) -> int:
    """Recompute the analytics snapshot and rescore the key-client list; returns the run's id."""
    from kam.core.models import User
    from kam.keyprofile.services import recompute_and_rescore

    by = User.objects.filter(pk=user_id).first() if user_id else None
    return recompute_and_rescore(by=by).pk
