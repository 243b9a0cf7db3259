"""sft: the accepted response of the most similar accepted prompt, as a draft to edit.

Prompts are compared by TF-IDF cosine over words and character 3-5-grams (robust to a greeting
added or a typo); the confidence is that similarity, mapped to the chance that the draft is good
(token F1 >= 0.8 against what people accept) as measured leave-one-out on the accepted pairs. This never writes new text: a prompt unlike
anything accepted gets a low-confidence draft, for a person to rewrite.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from ml_assist.estimators.base import BasePredictor, Prediction

BATCH = 1024  # prompts compared at once against all accepted ones
WORD_RE = re.compile(r"\w+")
# A draft whose words overlap the reference this much (token F1) needs only light edits.
GOOD_DRAFT_F1 = 0.8


def _prompt(data: dict) -> str:
    return str(data.get("prompt") or "")


class NearestResponse(BasePredictor):
    task_type = "sft"
    primary_metric = "token_f1"
    min_labels = 1  # one accepted answer is already a usable draft for its near-duplicates

    def _usable(self, result):
        return isinstance(result.get("response"), str) and bool(result["response"].strip())

    def _fit(self, items, results) -> bool:
        prompts = [_prompt(i.data) for i in items]
        self.words_ = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
        self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                      dtype=np.float32)
        try:
            self.index_ = self._join(self.words_.fit_transform(prompts), self.chars_.fit_transform(prompts))
        except ValueError:  # every prompt empty: no vocabulary, nothing to compare by
            return False
        self.responses_ = [r["response"] for r in results]
        self._fit_calibration()
        return True

    def _fit_calibration(self) -> None:
        """Similarity is not yet a probability. Leave-one-out on the accepted pairs: how often
        was the nearest *other* prompt's response a good draft, as a function of similarity?"""
        self.calibration_ = None
        if len(self.responses_) < 20:
            return
        sims, good = [], []
        for lo in range(0, len(self.responses_), BATCH):
            block = (self.index_[lo:lo + BATCH] @ self.index_.T).toarray()
            rows = np.arange(len(block))
            block[rows, lo + rows] = -1.0
            best = block.argmax(axis=1)
            sims += list(block[rows, best])
            good += [token_f1(self.responses_[b], self.responses_[lo + r]) >= GOOD_DRAFT_F1
                     for r, b in zip(rows, best)]
        if 0 < sum(good) < len(good):
            self.calibration_ = LogisticRegression().fit(np.array(sims)[:, None], good)

    @staticmethod
    def _join(words, chars) -> sparse.csr_matrix:
        # Equal weight to both views; each is unit length, so the joined row is too.
        return normalize(sparse.hstack([words, chars], format="csr"))

    def _predict(self, items):
        prompts = [_prompt(i.data) for i in items]
        query = self._join(self.words_.transform(prompts), self.chars_.transform(prompts))
        predictions = []
        for lo in range(0, len(prompts), BATCH):
            sims = (query[lo:lo + BATCH] @ self.index_.T).toarray()
            best = sims.argmax(axis=1)
            top = sims[np.arange(len(sims)), best]
            top = np.clip(top, 0.0, 1.0)
            confidence = (top if self.calibration_ is None
                          else self.calibration_.predict_proba(top[:, None])[:, 1])
            for b, sim, c in zip(best, top, confidence):
                predictions.append(Prediction({"response": self.responses_[b]}, float(c), float(1.0 - sim)))
        return predictions

    def _score(self, predictions, results):
        f1 = [token_f1(p.result["response"], r.get("response", "")) if p else 0.0
              for p, r in zip(predictions, results)]
        exact = [p is not None and p.result["response"].strip() == r.get("response", "").strip()
                 for p, r in zip(predictions, results)]
        metrics = {
            "token_f1": float(np.mean(f1)) if f1 else 0.0,
            "exact_match": float(np.mean(exact)) if exact else 0.0,
        }
        return metrics, [score >= GOOD_DRAFT_F1 for score in f1]


def token_f1(draft: str, reference: str) -> float:
    """Bag-of-words F1 between a draft and the accepted response (case-insensitive)."""
    a, b = Counter(WORD_RE.findall(draft.lower())), Counter(WORD_RE.findall(reference.lower()))
    common = sum((a & b).values())
    if not common:
        return float(not a and not b)
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)
