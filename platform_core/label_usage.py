"""Where a project's label values live in stored results: counted before a label is removed,
rewritten when one is renamed (platform_core.services.label_changes).

A result names its labels in one of four places, whatever the task type (DESIGN.md, "Results,
one shape per task type"): `labels` (classification), `spans[].label`, `boxes[].label` and
`segments[].label` (speakers). Preference and SFT results hold no label values.

Stores are tables with result columns. The platform registers its own (tasks' gold and accepted
results, predictions); the apps built on it register theirs in their AppConfig.ready() with
`register_label_store` (annotations, their versions, reviews), since the platform does not
import them.
"""
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

# Lists of objects whose "label" names a label value.
LABELLED_PARTS = ("spans", "boxes", "segments")
# Rows read per query while counting or rewriting: a few MB of JSON at most.
BATCH = 2000
# Label values whose JSON text is the same on every database (PostgreSQL's jsonb prints
# non-ASCII characters as they are; SQLite keeps Django's \u escapes): only these narrow the
# rows in SQL. Others are looked for in every result.
_PLAIN_TEXT = re.compile(r'^[\x20-\x7e]*$')


@dataclass(frozen=True)
class LabelStore:
    name: str  # as shown to people: "annotations"
    rows: Callable  # rows(project) -> QuerySet of this project's rows
    fields: tuple[str, ...]  # its JSON result columns


_stores: dict[str, LabelStore] = {}


def register_label_store(name: str, rows: Callable, fields: Iterable[str]) -> None:
    _stores[name] = LabelStore(name, rows, tuple(fields))


def label_stores() -> list[LabelStore]:
    return list(_stores.values())


def result_labels(result) -> set[str]:
    """The label values one result uses."""
    if not isinstance(result, dict):
        return set()
    found = {value for value in result.get("labels") or () if isinstance(value, str)}
    for part in LABELLED_PARTS:
        for item in result.get(part) or ():
            if isinstance(item, dict) and isinstance(item.get("label"), str):
                found.add(item["label"])
    return found


def result_renamed(result, renames: dict[str, str]):
    """`result` with its label values renamed, or None when it uses none of `renames`."""
    if not result_labels(result) & renames.keys():
        return None
    renamed = dict(result)
    if isinstance(result.get("labels"), list):
        renamed["labels"] = [renames.get(value, value) for value in result["labels"]]
    for part in LABELLED_PARTS:
        if isinstance(result.get(part), list):
            renamed[part] = [
                {**item, "label": renames.get(item.get("label"), item.get("label"))}
                if isinstance(item, dict)
                else item
                for item in result[part]
            ]
    return renamed


def _candidates(store: LabelStore, project, values: Iterable[str]) -> QuerySet:
    """The store's rows of `project` that may use one of `values`: narrowed in SQL by the
    quoted value in the result's text when every value allows it (a cheap superset that the
    caller confirms on the parsed result)."""
    rows = store.rows(project)
    values = list(values)
    if not values or not all(_PLAIN_TEXT.match(v) and '"' not in v and "\\" not in v for v in values):
        return rows
    texts = {f"_text_{field}": Cast(field, output_field=TextField()) for field in store.fields}
    matches = [
        Q(**{f"{alias}__contains": f'"{value}"'}) for alias in texts for value in values
    ]
    return rows.annotate(**texts).filter(reduce(or_, matches))


def _batches(queryset: QuerySet, fields: tuple[str, ...]) -> Iterator[list[tuple]]:
    """(pk, *fields) rows in primary-key order, BATCH at a time (keyset: no OFFSET)."""
    last = 0
    while True:
        rows = list(
            queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:BATCH]
        )
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def label_usage(*, project, values: Iterable[str]) -> dict[str, dict[str, int]]:
    """{value: {store name: rows using it}} for the given values, only those used."""
    values = set(values)
    usage: dict[str, dict[str, int]] = {}
    if not values:
        return usage
    for store in label_stores():
        for rows in _batches(_candidates(store, project, values), store.fields):
            for row in rows:
                used = set().union(*(result_labels(result) for result in row[1:])) & values
                for value in used:
                    per_store = usage.setdefault(value, {})
                    per_store[store.name] = per_store.get(store.name, 0) + 1
    return usage


def labels_rename_batches(*, project, renames: dict[str, str]) -> Iterator[int]:
    """Rewrite the stores' results of `project`, one batch of rows per step; yields the rows
    rewritten by each step. The caller wraps each step in a transaction (it writes only when
    the generator resumes past the yield, so a step is: read, rewrite, write).

    Idempotent when no new value is also an old one (the service refuses chains and swaps):
    a rerun finds nothing left to rename.
    """
    for store in label_stores():
        model = store.rows(project).model
        for rows in _batches(_candidates(store, project, renames), store.fields):
            changed = []
            for pk, *results in rows:
                renamed = [result_renamed(result, renames) for result in results]
                if any(result is not None for result in renamed):
                    values = {
                        field: new if new is not None else old
                        for field, old, new in zip(store.fields, results, renamed)
                    }
                    changed.append(model(pk=pk, **values))
            if changed:
                model.objects.bulk_update(changed, list(store.fields))
            yield len(changed)


def _tasks(project) -> QuerySet:
    from platform_core.models import Task

    return Task.objects.filter(project=project)


def _predictions(project) -> QuerySet:
    from platform_core.models import Prediction

    return Prediction.objects.filter(task__project=project)


register_label_store("tasks", _tasks, ("gold_result", "accepted_result"))
register_label_store("predictions", _predictions, ("result",))
