"""Every file the evaluator ships, and how to make it again: ``python -m engine.regenerate evaluator``.

The digits feature network (``feature_net.pt``, tensors only) and what it measured, as plain ``.npy``
arrays the page reads without torch: 1,000 samples of each of the app's digit generators
(``images``) and the features and class probabilities of every generated and real digit
(``features``, ``probs``). The four come from one run (:func:`engine.evaluation.features.build`),
which samples the other families' shipped models: regenerate those first.
"""

from __future__ import annotations

from engine.core.weights import Array, Recipe
from engine.data import digits
from engine.evaluation import features, truncation
from engine.evaluation.leaderboard import ARRAYS

__all__ = ["recipes"]


def digits_svm() -> Array:
    """The digit judge every page asks "which digit is this?" (``engine.data.digits.classify``)."""
    clf = digits.fit_classifier()
    table, config = digits.svm_array(clf)
    X, y = digits.load("test")
    return Array(table, config, {"test_accuracy": round(float((clf.predict(X) == y).mean()), 4)})


def recipes() -> list[Recipe]:
    return [Recipe(digits.SVM_FILE[1], digits_svm), Recipe(features.NAME, lambda: features.build().net)] + [
        Recipe(truncation.FILE, truncation.recipe)] + [
        Recipe(name, lambda name=name: features.build().arrays[name]) for name in ARRAYS]
