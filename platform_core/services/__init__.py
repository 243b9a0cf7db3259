"""Every write of the platform's organizations and projects goes through these functions."""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction


def save_unless_raced(instance, conflict: dict, *, update_fields: list[str] | None = None) -> None:
    """Save (only `update_fields`, if given) after the caller's own checks passed; a unique
    constraint that another request won in between (a double click, two admins at once) is the
    same 400, naming `conflict`, not a 500."""
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError:
        raise ValidationError(conflict) from None
