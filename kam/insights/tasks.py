from django_tasks import task

from .services import recompute


@task()
def recompute_task(user_id: int | None = None) -> int:
    """Recompute the analytics snapshot; returns the run's id."""
    from kam.core.models import User

    by = User.objects.filter(pk=user_id).first() if user_id else None
    return recompute(by=by).pk
