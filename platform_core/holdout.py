"""Which tasks are served without a suggestion, so the metrics can measure what suggestions save.

Shared by the queue (which hides the suggestion) and confidence routing (which must not
auto-accept a task whose human time is the control group).
"""
import hashlib

_HOLDOUT_SALT = b"suggestion-holdout"


def suggestion_holdout(task_id: int, rate: float) -> bool:
    """True for a stable `rate` share of tasks: serve these without a suggestion.

    A keyed hash of the id, not a random draw, so the same task is held out on every request
    and in every process, and the held-out set is independent of the random queue order.
    """
    if rate <= 0.0:
        return False
    digest = hashlib.blake2b(str(task_id).encode(), digest_size=8, key=_HOLDOUT_SALT).digest()
    return int.from_bytes(digest, "big") / 2**64 < rate
