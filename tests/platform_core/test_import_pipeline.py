"""The import's fast path: reading ahead in a thread, one fast JSON serialisation per row with
the checksums unchanged, COPY straight into the task table with a safe fallback, and batch
commits that do not wait for the disk while the job's own commit does."""
import json
import random
import threading
import time

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from platform_core.imports import pipeline, writer
from platform_core.imports.readers import read_json_lines
from platform_core.imports.records import canonical_json, data_record
from platform_core.imports.runner import import_run
from platform_core.imports.services import import_job_create
from platform_core.models import Dataset, Task

pytestmark = pytest.mark.django_db


def jsonl(*rows) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def run_import(project, name, content: str):
    job = import_job_create(
        project=project, user=None, upload=ContentFile(content.encode(), name=name), enqueue=False
    )
    return import_run(job_id=job.pk)


# -- reading ahead -------------------------------------------------------------------------------


def test_read_ahead_hands_over_every_chunk_in_order():
    chunks = [[i, i + 1] for i in range(0, 100, 2)]

    assert list(pipeline.read_ahead(iter(chunks))) == chunks


def test_read_ahead_raises_a_reading_error_after_the_chunks_read_before_it():
    def chunks():
        yield [1]
        yield [2]
        raise ValueError("broken file")

    seen = []
    with pytest.raises(ValueError, match="broken file"):
        for chunk in pipeline.read_ahead(chunks()):
            seen.append(chunk)

    assert seen == [[1], [2]]


def test_read_ahead_stays_a_bounded_number_of_chunks_ahead_and_stops_with_its_consumer():
    produced, closed = [], threading.Event()

    def chunks():
        try:
            for i in range(1000):
                produced.append(i)
                yield [i]
        finally:
            closed.set()

    reader = pipeline.read_ahead(chunks(), depth=2)
    assert next(reader) == [0]
    time.sleep(0.3)  # time enough to read far ahead, were it unbounded
    assert len(produced) <= 4  # the one taken, two waiting, one blocked on the full queue
    reader.close()  # the consumer stops early (a write failed)

    assert closed.wait(2)
    assert len(produced) <= 4


# -- one serialisation, the same checksums ------------------------------------------------------


def _json_text(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_canonical_json_is_byte_for_byte_what_json_wrote_so_checksums_do_not_change():
    rng = random.Random(3)

    def value(depth=0):
        roll = rng.random()
        if depth > 3 or roll < 0.4:
            return rng.choice([
                rng.random() * 10 ** rng.randint(-9, 22), rng.randint(-2**70, 2**70), 1e-5, 1e16,
                -0.0, "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(6)), "4.5 stars", None,
                True, 2**64 - 1,
            ])
        if roll < 0.7:
            return [value(depth + 1) for _ in range(3)]
        return {f"k{rng.randint(0, 99)}": value(depth + 1) for _ in range(3)}

    for _ in range(3000):
        item = value()
        assert canonical_json(item) == _json_text(item)


def test_json_lines_keep_big_integers_exact_and_refuse_nan(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"text": "a", "id": 123456789012345678901234}\n{"text": "b", "score": NaN}\n')

    with path.open("rb") as stream:
        rows = list(read_json_lines(stream))

    assert rows[0] == (1, {"text": "a", "id": 123456789012345678901234})
    assert rows[1].row == 2 and "NaN" in rows[1].error


# -- COPY straight into the table ----------------------------------------------------------------


def test_duplicates_in_the_file_and_in_the_project_are_counted_once_each(project):
    first = run_import(project, "a.jsonl", jsonl({"text": "a"}, {"text": "b"}))
    second = run_import(project, "b.jsonl", jsonl({"text": "b"}, {"text": "c"}, {"text": "c"}))

    assert (first.imported, first.duplicates) == (2, 0)
    assert (second.imported, second.duplicates) == (1, 2)
    assert sorted(Task.objects.filter(project=project).values_list("data__text", flat=True)) == ["a", "b", "c"]


@pytest.mark.servers
def test_rows_the_project_holds_send_the_batch_and_the_rest_of_the_job_the_staged_way(
    project, monkeypatch
):
    """COPY straight into the table fails on a row the project holds (an earlier import, a
    concurrent one): that batch's savepoint is undone, ON CONFLICT settles it, and the job
    stays on that path."""
    monkeypatch.setattr(writer, "BATCH_SIZE", 2)
    run_import(project, "a.jsonl", jsonl({"text": "a"}, {"text": "b"}))
    direct, staged = [], []
    real_copy_rows, real_staged = writer.TaskWriter._copy_rows, writer.TaskWriter._copy_staged
    monkeypatch.setattr(
        writer.TaskWriter, "_copy_rows",
        staticmethod(lambda cursor, target, rows: direct.append(target) or real_copy_rows(cursor, target, rows)),
    )
    monkeypatch.setattr(
        writer.TaskWriter, "_copy_staged",
        lambda self, *args: staged.append(True) or real_staged(self, *args),
    )

    job = run_import(project, "b.jsonl", jsonl({"text": "new 1"}, {"text": "a"}, {"text": "new 2"}, {"text": "b"}))

    assert (job.imported, job.duplicates) == (2, 2)
    assert sum(t.startswith("platform_task") for t in direct) == 1  # tried once, then staged
    assert staged == [True, True]
    texts = Task.objects.filter(project=project).values_list("data__text", flat=True)
    assert sorted(texts) == ["a", "b", "new 1", "new 2"]


def test_a_fresh_file_goes_straight_into_the_table_with_its_repeats_left_out(project, monkeypatch):
    monkeypatch.setattr(writer, "BATCH_SIZE", 3)

    job = run_import(project, "a.jsonl", jsonl(*({"text": t} for t in "abacdd")))

    assert (job.imported, job.duplicates) == (4, 2)
    ids = list(Task.objects.filter(project=project).order_by("id").values_list("data__text", flat=True))
    assert ids == ["a", "b", "c", "d"]  # file order


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)  # the batch's own commit, not a savepoint in the test's
def test_batches_commit_without_waiting_for_the_disk_and_the_setting_ends_with_them(project):
    dataset = Dataset.objects.create(project=project, name="d")
    task_writer = writer.TaskWriter(project=project, dataset=dataset)
    seen = []
    real_copy = writer.TaskWriter._copy_tasks

    def copy_and_look(self, cursor, batch, now):
        cursor.execute("SHOW synchronous_commit")
        seen.append(cursor.fetchone()[0])
        return real_copy(self, cursor, batch, now)

    writer.TaskWriter._copy_tasks = copy_and_look
    try:
        task_writer.add(data_record(1, {"text": "x"}))
        task_writer.flush()
    finally:
        writer.TaskWriter._copy_tasks = real_copy
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        after = cursor.fetchone()[0]

    assert seen == ["off"]
    assert after == "on"  # the job's own commit, later on this connection, waits for the disk


def test_suggestions_imported_with_rows_attach_to_the_right_tasks(project):
    rows = [
        {"data": {"text": f"t{i}"}, "predictions": [{"result": [{"type": "choices", "value": {"choices": ["positive"]}}], "score": i / 10}]}
        for i in range(3)
    ]

    job = run_import(project, "ls.json", json.dumps(rows))

    assert job.imported == 3
    scores = dict(Task.objects.filter(project=project).values_list("data__text", "predictions__confidence"))
    assert scores == {"t0": 0.0, "t1": 0.1, "t2": 0.2}


def test_text_that_copy_reads_as_its_own_is_stored_as_it_was_sent(project):
    """COPY's text format gives tab, newline, carriage return and backslash a meaning: the
    lines made in the reading thread escape them (platform_core.imports.copy_lines)."""
    awkward = 'tab\there, line\nbreak, return\r, back\\slash, \\N, "quoted", \\t literal, ünï'
    rows = [
        {"data": {"text": awkward, "extra": "\\"}, "meta": {"note": awkward, "n": 1.5}},
        {"text": "\\N"},
        {"text": "plain"},
    ]

    job = run_import(project, "rows.jsonl", jsonl(*rows))

    assert (job.imported, job.error_count) == (3, 0)
    stored = {t.data["text"]: t for t in Task.objects.filter(project=project)}
    assert stored[awkward].data == {"text": awkward, "extra": "\\"}
    assert stored[awkward].meta == {"note": awkward, "n": 1.5}
    assert stored["\\N"].data == {"text": "\\N"} and stored["\\N"].meta == {}
    assert stored["plain"].media == "" and stored["plain"].duration_s is None


def test_a_copy_line_escapes_every_special_character_of_copy_text():
    from platform_core.imports.copy_lines import copy_line

    record = data_record(1, {"text": "a\\b"}, meta={"k": "x\ty"})
    record.media, record.media_type, record.width, record.duration_s = "m\td\n\r\\", "image/png", 3, 0.5

    fields = copy_line(record).split("\t")

    assert fields == [
        '{"text":"a\\\\\\\\b"}', '{"k": "x\\\\ty"}', "m\\td\\n\\r\\\\", "image/png",
        record.checksum, "new", "0.5", "\\N", "3", "\\N",
    ]


def test_a_batch_larger_than_one_insert_statement_writes_every_row_and_suggestion(project, monkeypatch):
    """A batch commits more rows than one multi-row INSERT may carry (SQLite's parameter
    limit; suggestions on both databases): the statements split it, in file order."""
    monkeypatch.setattr(writer, "BATCH_SIZE", 7)
    monkeypatch.setattr(writer, "INSERT_ROWS", 2)
    result = [{"type": "choices", "value": {"choices": ["positive"]}}]
    rows = [
        {"data": {"text": f"t{i % 9}"}, "predictions": [
            {"model_version": "a", "result": result, "score": i / 100},
            {"model_version": "b", "result": result, "score": 0.5},
        ]}
        for i in range(12)  # t0, t1 and t2 come twice: the first of each is kept
    ]

    job = run_import(project, "ls.json", json.dumps(rows))

    assert (job.imported, job.duplicates) == (9, 3)
    tasks = Task.objects.filter(project=project).order_by("id")
    assert [t.data["text"] for t in tasks] == [f"t{i}" for i in range(9)]
    scores = {
        (t.data["text"], p.model_version): p.confidence for t in tasks for p in t.predictions.all()
    }
    assert scores == {
        **{(f"t{i}", "a"): i / 100 for i in range(9)}, **{(f"t{i}", "b"): 0.5 for i in range(9)}
    }


def test_the_reader_may_run_a_whole_batch_ahead_of_the_writer(project, monkeypatch):
    """With fewer rows ready than a batch, the writer waited for the reader after each commit
    while the database sat idle."""
    monkeypatch.setattr(writer, "BATCH_SIZE", 10)
    monkeypatch.setattr("platform_core.imports.runner.READ_CHUNK", 3)
    depths = []
    real_read_ahead = pipeline.read_ahead

    def read_ahead(chunks, *, depth=pipeline.DEFAULT_DEPTH):
        depths.append(depth)
        return real_read_ahead(chunks, depth=depth)

    monkeypatch.setattr("platform_core.imports.runner.read_ahead", read_ahead)

    job = run_import(project, "a.jsonl", jsonl(*({"text": f"row {i}"} for i in range(25))))

    assert job.imported == 25
    assert depths == [4]  # four chunks make a batch


@pytest.mark.parametrize("queue_order", ["sequential", "random"])
def test_a_batch_copied_in_several_pieces_keeps_every_row_in_file_order(project, monkeypatch, queue_order):
    from ml_assist.priority import random_priority

    monkeypatch.setattr(writer, "BATCH_SIZE", 8)
    monkeypatch.setattr(writer, "COPY_PIECE_ROWS", 3)
    project.queue_order = queue_order
    project.save()

    job = run_import(project, "a.jsonl", jsonl(*({"text": f"row {i}"} for i in range(19))))

    assert job.imported == 19
    tasks = list(Task.objects.filter(project=project).order_by("id"))
    assert [t.data["text"] for t in tasks] == [f"row {i}" for i in range(19)]
    expected = (lambda t: 0.0) if queue_order == "sequential" else (lambda t: random_priority(t.pk))
    assert [t.priority for t in tasks] == [expected(t) for t in tasks]


def test_the_garbage_collector_rests_while_rows_stream_and_comes_back_after(project, monkeypatch):
    import gc

    monkeypatch.setattr(writer, "BATCH_SIZE", 2)
    during = []
    real_flush = writer.TaskWriter.flush
    monkeypatch.setattr(
        writer.TaskWriter, "flush", lambda self: during.append(gc.isenabled()) or real_flush(self)
    )
    assert gc.isenabled()

    job = run_import(project, "a.jsonl", jsonl(*({"text": f"row {i}"} for i in range(5))))

    assert job.imported == 5
    assert during and not any(during)
    assert gc.isenabled()
