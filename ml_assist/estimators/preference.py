"""preference: a pairwise logistic model on the difference of the two responses' features.

Each response gets a few readable features (length, sentences, numbers, polite / rude /
hedging words, similarity to the prompt, and "relevance": similarity to what people preferred
for the most similar prompts seen in training) plus its word TF-IDF. The model reads
A - B (who is better) and |A - B| (are they alike: a tie). Every pair is also learned swapped,
so the model is symmetric: swapping the answers swaps its choice.
"""
from __future__ import annotations

import re

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from ml_assist.estimators.base import (
    BasePredictor,
    Prediction,
    calibrated,
    fitted_base,
    top_two_margin,
)

POLITE = ("please", "thank", "thanks", "happy to help", "hope this helps", "glad", "good luck",
          "sure", "great question", "good question", "welcome", "appreciate")
RUDE = ("obvious", "stupid", "dumb", "idiot", "ugh", "yourself", "lazy", "whatever", "shut up",
        "nonsense", "ridiculous", "duh", "pathetic", "all the time")
HEDGE = ("depends", "maybe", "perhaps", "many ways", "not sure", "opinions differ", "everyone",
         "it varies", "complex", "might", "search online", "try it and see", "preferences")
DENSE = ("length", "words", "sentences", "numbers", "mean_word", "polite", "rude", "hedge",
         "prompt_similarity", "relevance")
NEIGHBOURS = 5
BATCH = 512  # prompts compared at once: 512 x 10,000 training prompts = 40 MB of float64
# Why the loser lost: the group of features that weighed most in the choice.
REASONS = (
    (("length", "words", "sentences"), "{loser} is too short to help."),
    (("numbers", "mean_word"), "{winner} is more specific."),
    (("polite",), "{winner} is more polite."),
    (("rude",), "{loser} is rude."),
    (("hedge",), "{loser} is vague and gives no specifics."),
    (("prompt_similarity", "relevance"), "{loser} answers a different question."),
)
GROUPS = [[DENSE.index(name) for name in names] for names, _ in REASONS]


def _lexicon(words: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")", re.IGNORECASE)


POLITE_RE, RUDE_RE, HEDGE_RE = _lexicon(POLITE), _lexicon(RUDE), _lexicon(HEDGE)
SENTENCE_RE = re.compile(r"[.!?]+(?:\s|$)")


def _surface(text: str) -> list[float]:
    words = text.split()
    return [
        np.log1p(len(text)), np.log1p(len(words)), len(SENTENCE_RE.findall(text)),
        sum(c.isdigit() for c in text), np.mean([len(w) for w in words]) if words else 0.0,
        len(POLITE_RE.findall(text)), len(RUDE_RE.findall(text)), len(HEDGE_RE.findall(text)),
    ]


def _fields(data: dict) -> tuple[str, str, str]:
    return tuple(str(data.get(k) or "") for k in ("prompt", "response_a", "response_b"))


class PreferenceRanker(BasePredictor):
    task_type = "preference"
    primary_metric = "accuracy"

    def _usable(self, result):
        return result.get("choice") in ("A", "B", "tie")

    def _fit(self, items, results) -> bool:
        prompts, a, b = zip(*(_fields(i.data) for i in items))
        choices = [r["choice"] for r in results]
        if not self.config.get("allow_tie", True):
            choices = [c if c != "tie" else None for c in choices]
        keep = [k for k, c in enumerate(choices) if c]
        prompts, a, b = ([x[k] for k in keep] for x in (prompts, a, b))
        choices = [choices[k] for k in keep]
        if not set(choices) - {"tie"}:
            return False  # only ties (or ties where the project allows none): no direction
        self.prompts_ = TfidfVectorizer(sublinear_tf=True, dtype=np.float32).fit(prompts)
        self.responses_ = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=2 if len(a) >= 20 else 1, dtype=np.float32
        ).fit(list(a) + list(b))
        self.train_prompts_ = self.prompts_.transform(prompts)
        va, vb = self.responses_.transform(a), self.responses_.transform(b)
        # What people preferred for each training prompt (both answers of a tie).
        take_a = sparse.diags([float(c in ("A", "tie")) for c in choices])
        take_b = sparse.diags([float(c in ("B", "tie")) for c in choices])
        self.winners_ = normalize((take_a @ va + take_b @ vb).tocsr())
        X = self._pair_features(prompts, a, b, leave_one_out=True)
        flip = {"A": "B", "B": "A", "tie": "tie"}
        y = np.array(choices + [flip[c] for c in choices])
        X = sparse.vstack([X, self._swap(X)], format="csr")
        self.estimator_ = calibrated(LogisticRegression(C=3.0, max_iter=2000), y).fit(X, y)
        self.classes_ = np.asarray(self.estimator_.classes_)
        return True

    def _relevance(self, prompts, vectors, leave_one_out=False) -> np.ndarray:
        """Cosine of each response with the mean preferred answer of the nearest prompts."""
        query = self.prompts_.transform(prompts)
        n_train = self.train_prompts_.shape[0]
        k = min(NEIGHBOURS, n_train - int(leave_one_out))
        out = np.zeros(len(prompts))
        if k < 1:
            return out
        for lo in range(0, len(prompts), BATCH):
            sims = (query[lo:lo + BATCH] @ self.train_prompts_.T).toarray()
            rows = np.arange(len(sims))
            if leave_one_out:  # a training pair must not see its own answer
                sims[rows, lo + rows] = -np.inf
            nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            average = sparse.csr_matrix(
                (np.full(nearest.size, 1.0 / k), nearest.ravel(), np.arange(0, nearest.size + 1, k)),
                shape=(len(sims), n_train),
            )
            centroids = average @ self.winners_
            out[lo:lo + len(sims)] = np.asarray(
                vectors[lo:lo + BATCH].multiply(centroids).sum(axis=1)
            ).ravel()
        return out

    def _dense(self, prompts, responses, leave_one_out):
        vectors = self.responses_.transform(responses)
        surface = np.array([_surface(r) for r in responses], dtype=float)
        prompt_sim = np.asarray(self.responses_.transform(prompts).multiply(vectors).sum(axis=1)).ravel()
        relevance = self._relevance(prompts, vectors, leave_one_out)
        return np.column_stack([surface, prompt_sim, relevance]), vectors

    def _pair_features(self, prompts, a, b, leave_one_out=False) -> sparse.csr_matrix:
        prompts = list(prompts)
        da, va = self._dense(prompts, list(a), leave_one_out)
        db, vb = self._dense(prompts, list(b), leave_one_out)
        diff = da - db
        return sparse.hstack([diff, np.abs(diff), va - vb], format="csr")

    def _swap(self, X) -> sparse.csr_matrix:
        """The features of the same pair with A and B exchanged: differences change sign."""
        n = len(DENSE)
        sign = np.ones(X.shape[1])
        sign[:n] = -1
        sign[2 * n:] = -1
        return (X @ sparse.diags(sign)).tocsr()

    def _predict(self, items):
        prompts, a, b = zip(*(_fields(i.data) for i in items))
        X = self._pair_features(prompts, a, b)
        proba = self.estimator_.predict_proba(X)
        best = proba.argmax(axis=1)
        uncertainty = top_two_margin(proba)
        diffs = X[:, :len(DENSE)].toarray()
        predictions = []
        for diff, p, k, u in zip(diffs, proba, best, uncertainty):
            choice = str(self.classes_[k])
            reason = self._reason(choice, diff)
            predictions.append(Prediction({"choice": choice, "reason": reason}, float(p[k]), float(u)))
        return predictions

    def _reason(self, choice: str, diff: np.ndarray) -> str:
        """Plain evidence first (a third of the words, rude or hedging words), then the feature group
        that weighed most in the model's choice."""
        if choice == "tie":
            return "Both answers are about equally good."
        loser = "B" if choice == "A" else "A"
        worse = diff if choice == "B" else -diff  # loser minus winner
        at = DENSE.index
        if worse[at("words")] < -np.log(3):  # a third of the words, or fewer
            best = 0
        elif worse[at("rude")] > 0:
            best = 3
        elif worse[at("hedge")] > 0:
            best = 4
        else:
            coef = fitted_base(self.estimator_).coef_
            # A binary model keeps one row, for its second class ("B").
            row = coef[0] * (1 if choice == "B" else -1) if coef.shape[0] == 1 else coef[
                list(self.classes_).index(choice)]
            weight = row[:len(DENSE)] * diff
            best = int(np.argmax([weight[group].sum() for group in GROUPS]))
        return REASONS[best][1].format(winner=choice, loser=loser)

    def _score(self, predictions, results):
        correct = [p is not None and p.result["choice"] == r.get("choice")
                   for p, r in zip(predictions, results)]
        return {"accuracy": float(np.mean(correct)) if correct else 0.0}, correct
