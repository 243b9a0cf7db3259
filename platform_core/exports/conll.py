"""CoNLL (BIO tags) for text spans: one token and its tag per line, a blank line after each task.

    # task_id = 17
    Alice\tB-PER
    works\tO
    at\tO
    ACME\tB-ORG
    Corp.\tI-ORG

Tokens are the runs of non-whitespace characters of the task's text (so a token never holds the
tab that separates it from its tag). A token belongs to the first span it overlaps: BIO cannot
say that a token is in two spans, so of overlapping spans (projects with `allow_overlap`) the
one that starts first (the longer one on a tie) keeps the tokens. A span that starts or ends
inside a token takes the whole token.

Only tasks with a final label are written: a sentence of O tags would read as labeled "nothing
here".
"""
import re
from bisect import bisect_right
from collections.abc import Iterator

import orjson

from platform_core.exports.reader import TaskSource

TOKEN = re.compile(r"\S+")


def bio_tags(text: str, spans: list[dict]) -> list[tuple[str, str]]:
    """[(token, tag)] for `text` with our character-offset `spans`."""
    tokens = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]
    ends = [end for _, _, end in tokens]
    owner: list[int | None] = [None] * len(tokens)
    ordered = sorted(range(len(spans)), key=lambda i: (spans[i]["start"], -spans[i]["end"], i))
    for index in ordered:
        start, end = spans[index]["start"], spans[index]["end"]
        first = bisect_right(ends, start)  # the first token that ends after the span starts
        covered = []
        while first < len(tokens) and tokens[first][1] < end:
            covered.append(first)
            first += 1
        if covered and all(owner[t] is None for t in covered):
            for t in covered:
                owner[t] = index
    tagged, previous = [], None
    for t, (token, _, _) in enumerate(tokens):
        index = owner[t]
        if index is None:
            tagged.append((token, "O"))
        else:
            prefix = "I" if previous == index else "B"
            tagged.append((token, f"{prefix}-{spans[index]['label']}"))
        previous = index
    return tagged


def write_conll(source: TaskSource) -> Iterator[bytes]:
    for rows in source.batches():
        lines = []
        for row in rows:
            if row.result is None:
                continue
            data, result = orjson.loads(row.data), orjson.loads(row.result)
            text = data.get("text", "") if isinstance(data, dict) else ""
            lines.append(f"# task_id = {row.id}")
            lines.extend(f"{token}\t{tag}" for token, tag in
                         bio_tags(str(text), result.get("spans", [])))
            lines.append("")
        if lines:
            yield ("\n".join(lines) + "\n").encode()
