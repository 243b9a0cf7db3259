"""Runs an import job in the worker (being written: parsers, batched writer)."""


def import_run(*, job_id: int):
    raise NotImplementedError
