"""Helpers shared by every app's service functions (the one write path of each model)."""


def assign_fields(instance, fields: dict, allowed) -> None:
    """Set ``fields`` on ``instance``; a name outside ``allowed`` is a programming error."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(instance, name, value)


def save_audited(instance, *, by, reason: str = "") -> None:
    """Validate fully, then save, recording ``by`` (and why) in the audit history (R39)."""
    instance.full_clean()
    instance._history_user = by
    if reason:
        instance._change_reason = reason
    instance.save()
