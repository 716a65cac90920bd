from __future__ import annotations

from typing import Any

from .models import AuditLog


def audit_record(
    *, actor, action: str, obj=None, object_type: str = "", object_id: str = "", **details: Any
) -> AuditLog:
    """Write one audit entry. `obj` fills object_type/object_id from a model instance."""
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
