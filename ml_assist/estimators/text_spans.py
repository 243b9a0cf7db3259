"""text_spans: a BIO token classifier plus a gazetteer of the entities people accepted.

Tokens get word-shape, affix and context features (hashed, so there is no vocabulary to keep);
a logistic regression gives each token a probability per tag (O, B-X, I-X) and a Viterbi pass
picks the best sequence that never starts an entity with I-. Strings people marked before,
and marked most times they appeared, are a learned dictionary: where one occurs the tag it
had is mixed into the token probabilities, so a known name is found even in a new context.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import LogisticRegression

from ml_assist.estimators.base import BasePredictor, Prediction, calibrated, item_text

TOKEN_RE = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")
SENTENCE_END = {".", "!", "?"}
# 2^18 hashed features: collisions stay rare for tens of thousands of distinct words.
HASH_FEATURES = 2**18
# How strongly a dictionary match pulls its tokens: its precision in training, times this.
GAZETTEER_WEIGHT = 0.9
GAZETTEER_MIN_PRECISION = 0.5


def tokenize(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


def _shape(word: str) -> str:
    shape = re.sub(r"[A-Z]", "X", re.sub(r"[a-z]", "x", re.sub(r"\d", "d", word)))
    return re.sub(r"(.)\1+", r"\1\1", shape)  # "Xxxxx" -> "Xxx": length stops mattering


def token_features(words: list[str]) -> list[list[str]]:
    lower = [w.lower() for w in words]
    shapes = [_shape(w) for w in words]
    pad = ["<s>", "<s>"]
    lw, sh = pad + lower + ["</s>", "</s>"], pad + shapes + ["</s>", "</s>"]
    rows = []
    for i, word in enumerate(words):
        j = i + 2
        first = i == 0 or words[i - 1] in SENTENCE_END
        rows.append([
            "bias", f"w={lw[j]}", f"s={sh[j]}", f"p2={lw[j][:2]}", f"p3={lw[j][:3]}",
            f"x2={lw[j][-2:]}", f"x3={lw[j][-3:]}", f"first={first}",
            f"first|s={first}|{sh[j]}",
            f"w-1={lw[j - 1]}", f"w+1={lw[j + 1]}", f"w-2={lw[j - 2]}", f"w+2={lw[j + 2]}",
            f"s-1={sh[j - 1]}", f"s+1={sh[j + 1]}", f"s-1|s={sh[j - 1]}|{sh[j]}",
            f"s|s+1={sh[j]}|{sh[j + 1]}", f"w-1|s={lw[j - 1]}|{sh[j]}",
        ])
    return rows


class SpanTagger(BasePredictor):
    task_type = "text_spans"
    primary_metric = "span_f1"

    def _usable(self, result):
        return isinstance(result.get("spans"), list)

    def _fit(self, items, results) -> bool:
        known = set(self.labels)
        self.tags_ = ["O"] + [f"B-{x}" for x in self.labels] + [f"I-{x}" for x in self.labels]
        tag_index = {t: k for k, t in enumerate(self.tags_)}
        self.hasher_ = FeatureHasher(HASH_FEATURES, input_type="string", alternate_sign=False)
        rows, y, mentions = [], [], defaultdict(Counter)
        texts = [item_text(i.data) for i in items]
        for text, result in zip(texts, results):
            tokens = tokenize(text)
            tags = ["O"] * len(tokens)
            for span in result["spans"]:
                if span.get("label") not in known:
                    continue
                inside = [k for k, (_, s, e) in enumerate(tokens) if s < span["end"] and e > span["start"]]
                for n, k in enumerate(inside):
                    tags[k] = ("B-" if n == 0 else "I-") + span["label"]
                mentions[text[span["start"]:span["end"]]][span["label"]] += 1
            rows += token_features([t for t, _, _ in tokens])
            y += [tag_index[t] for t in tags]
        y = np.array(y)
        if len(np.unique(y)) < 2:
            return False  # no entity marked yet: nothing to learn from
        X = self.hasher_.transform(rows)
        # Only hashed columns seen in training can carry weight: dropping the rest keeps the
        # L-BFGS state (columns x tags) small.
        self.columns_ = np.unique(X.indices)
        X = X[:, self.columns_]
        self.estimator_ = calibrated(LogisticRegression(C=5.0, max_iter=2000), y).fit(X, y)
        self.classes_ = np.asarray(self.estimator_.classes_)
        self._fit_gazetteer(texts, mentions)
        return True

    def _fit_gazetteer(self, texts, mentions) -> None:
        """Keep strings marked in at least half the places they occur, with their usual label."""
        self.gazetteer_ = {}
        candidates = [m for m in mentions if len(m) >= 2]
        if not candidates:
            self.gazetteer_re_ = None
            return
        pattern = _alternation(candidates)
        seen = Counter(m.group() for text in texts for m in pattern.finditer(text))
        for string in candidates:
            label, marked = mentions[string].most_common(1)[0]
            precision = marked / max(seen[string], sum(mentions[string].values()))
            if precision >= GAZETTEER_MIN_PRECISION:
                self.gazetteer_[string] = (label, precision)
        self.gazetteer_re_ = _alternation(list(self.gazetteer_)) if self.gazetteer_ else None

    def _tag_probabilities(self, texts):
        tokenized = [tokenize(t) for t in texts]
        rows = [r for tokens in tokenized for r in token_features([t for t, _, _ in tokens])]
        full = np.zeros((len(rows), len(self.tags_)))
        if rows:
            full[:, self.classes_] = self.estimator_.predict_proba(
                self.hasher_.transform(rows)[:, self.columns_]
            )
        bounds = np.cumsum([0] + [len(t) for t in tokenized])
        return tokenized, [full[a:b] for a, b in zip(bounds, bounds[1:])]

    def _apply_gazetteer(self, text, tokens, proba) -> None:
        if self.gazetteer_re_ is None or not tokens:
            return
        starts = {s: k for k, (_, s, _) in enumerate(tokens)}
        ends = {e: k for k, (_, _, e) in enumerate(tokens)}
        best = proba.argmax(axis=1)
        n_labels = len(self.labels)
        for match in self.gazetteer_re_.finditer(text):
            first, last = starts.get(match.start()), ends.get(match.end())
            if first is None or last is None:
                continue  # matches part of a token
            label, precision = self.gazetteer_[match.group()]
            b = 1 + self.labels.index(label)
            # Inside a longer entity the model found ("Maria" of "Maria Rossi"): leave it.
            if (first > 0 and best[first - 1] != 0) or (last + 1 < len(tokens) and best[last + 1] > n_labels):
                continue
            weight = GAZETTEER_WEIGHT * precision
            target = np.zeros((last - first + 1, proba.shape[1]))
            target[0, b] = 1.0
            target[1:, b + n_labels] = 1.0
            proba[first:last + 1] = (1 - weight) * proba[first:last + 1] + weight * target

    def _viterbi(self, proba: np.ndarray) -> np.ndarray:
        n_labels = len(self.labels)
        n_tags = proba.shape[1]
        allowed = np.ones((n_tags, n_tags), dtype=bool)  # previous -> next
        for k in range(n_labels):
            i_tag = 1 + n_labels + k
            allowed[:, i_tag] = False
            allowed[[1 + k, i_tag], i_tag] = True
        penalty = np.where(allowed, 0.0, -np.inf)
        logp = np.log(np.clip(proba, 1e-12, 1.0))
        score = logp[0] + np.where(np.arange(n_tags) > n_labels, -np.inf, 0.0)
        back = np.zeros(proba.shape, dtype=int)
        for t in range(1, len(proba)):
            total = score[:, None] + penalty
            back[t] = total.argmax(axis=0)
            score = total[back[t], np.arange(n_tags)] + logp[t]
        path = np.empty(len(proba), dtype=int)
        path[-1] = score.argmax()
        for t in range(len(proba) - 1, 0, -1):
            path[t - 1] = back[t, path[t]]
        return path

    def _predict(self, items):
        texts = [item_text(i.data) for i in items]
        tokenized, probas = self._tag_probabilities(texts)
        n_labels = len(self.labels)
        predictions = []
        for text, tokens, proba in zip(texts, tokenized, probas):
            if not tokens:
                predictions.append(Prediction({"spans": []}, 1.0, 0.0))
                continue
            self._apply_gazetteer(text, tokens, proba)
            path = self._viterbi(proba)
            spans = []
            for k, tag in enumerate(path):
                if 1 <= tag <= n_labels:
                    spans.append({"start": tokens[k][1], "end": tokens[k][2], "label": self.labels[tag - 1]})
                elif tag > n_labels and spans:
                    spans[-1]["end"] = tokens[k][2]
            chosen = proba[np.arange(len(path)), path]
            ordered = np.sort(proba, axis=1)
            predictions.append(Prediction(
                {"spans": spans},
                confidence=float(chosen.min()),
                uncertainty=float((1.0 - (ordered[:, -1] - ordered[:, -2])).max()),
            ))
        return predictions

    def _score(self, predictions, results):
        return span_scores(predictions, results)


def span_scores(predictions, results):
    """Micro precision / recall / F1 over exact (start, end, label) spans; an item is correct
    when its set of spans is exactly right."""
    tp = n_pred = n_true = 0
    correct = []
    for prediction, result in zip(predictions, results):
        truth = {(s["start"], s["end"], s["label"]) for s in result.get("spans", [])}
        said = {(s["start"], s["end"], s["label"]) for s in prediction.result["spans"]} if prediction else set()
        tp += len(truth & said)
        n_pred += len(said)
        n_true += len(truth)
        correct.append(prediction is not None and said == truth)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "span_f1": f1, "span_precision": precision, "span_recall": recall,
        "exact_match": float(np.mean(correct)) if correct else 0.0,
    }, correct


def _alternation(strings: list[str]) -> re.Pattern:
    """Longest first, so "Maria Rossi" wins over "Maria"; whole words only."""
    ordered = sorted(set(strings), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)")
