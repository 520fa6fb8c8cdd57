"""Forgiving name lookup: aliases, case, separators and typos resolve to one id.

People type "MLE", "ml eng", "data sci" or "reseacher"; the bot should understand them and,
when it cannot, offer the closest real names instead of a dead end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

_SEPARATORS = re.compile(r"[\s_\-/.()]+")

ACCEPT_SCORE = 86.0  # below this a guess is offered as a suggestion, not taken
MARGIN = 4.0  # the best guess must beat the runner-up by this much to be taken


def normalise(text: str) -> str:
    """Lower case, separators folded to single spaces: 'ML_Engineer' -> 'ml engineer'."""
    return _SEPARATORS.sub(" ", text.casefold()).strip()


@dataclass(frozen=True, slots=True)
class Match:
    key: str
    exact: bool


@dataclass(frozen=True, slots=True)
class NoMatch:
    suggestions: tuple[str, ...]


_WORD = re.compile(r"[a-z0-9+#]{3,}")
_FILLER = frozenset({"the", "and", "for", "with", "who", "want", "what", "that", "into",
                     "from", "some", "work", "job", "role", "pick", "picks", "then", "plus"})
DESCRIBED_SCORE = 0.5  # share of the typed words a description must contain to be suggested


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(normalise(text)) if w not in _FILLER]


class Matcher:
    """Resolves free text to a key, from a table of ``key -> names people use for it``.

    ``descriptions`` (optional, ``key -> one line``) only feed suggestions: text that is
    no name at all, such as "builds phone apps", still gets the roles it describes.
    """

    def __init__(self, names: Mapping[str, Iterable[str]],
                 descriptions: Mapping[str, str] | None = None) -> None:
        self._described = {k: set(_words(d)) for k, d in (descriptions or {}).items()}
        self._exact: dict[str, str] = {}
        self._compact: dict[str, str] = {}
        for key, terms in names.items():
            for term in (key, *terms):
                norm = normalise(term)
                if norm:
                    self._exact.setdefault(norm, key)
                    self._compact.setdefault(norm.replace(" ", ""), key)
        self._terms = list(self._exact)
        self._keys = list(dict.fromkeys(names))

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def _scored(self, text: str, limit: int) -> list[tuple[str, float]]:
        """Best score per key, highest first."""
        best: dict[str, tuple[float, float]] = {}
        for term, score, _ in process.extract(
            text, self._terms, scorer=fuzz.WRatio, limit=max(limit * 4, 12)
        ):
            key = self._exact[term]
            # Whole-string similarity breaks ties in favour of the closest spelling, and edit
            # distance the ties left ('statz' is one letter from 'stats', two from 'start').
            ranked = ((score + fuzz.ratio(text, term)) / 2,
                      Levenshtein.normalized_similarity(text, term))
            if ranked > best.get(key, (-1.0, -1.0)):
                best[key] = ranked
        order = sorted(best.items(), key=lambda kv: (-kv[1][0], -kv[1][1], self._keys.index(kv[0])))
        return [(key, ranked[0]) for key, ranked in order[:limit]]

    def resolve(self, text: str) -> Match | NoMatch:
        norm = normalise(text)
        if not norm:
            return NoMatch(tuple(self._keys[:3]))
        key = self._exact.get(norm) or self._compact.get(norm.replace(" ", ""))
        if key:
            return Match(key, exact=True)
        ranked = self._scored(norm, 3)
        if ranked:
            best_key, best = ranked[0]
            runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
            if best >= ACCEPT_SCORE and best - runner_up >= MARGIN:
                return Match(best_key, exact=False)
        described = self.described(norm)
        return NoMatch(tuple(dict.fromkeys([*described, *(k for k, _ in ranked)]))[:3])

    def described(self, text: str, limit: int = 3) -> list[str]:
        """Keys whose description contains most of the typed words (typos allowed)."""
        typed = _words(text)
        if not typed or not self._described:
            return []
        scores = {}
        for key, words in self._described.items():
            hits = sum(1 for t in typed if any(
                w.startswith(t) or t.startswith(w) or fuzz.ratio(t, w) >= 85 for w in words))
            if hits / len(typed) >= DESCRIBED_SCORE:
                scores[key] = hits / len(typed)
        return sorted(scores, key=lambda k: (-scores[k], self._keys.index(k)))[:limit]

    def closest(self, text: str, cutoff: float = 60.0) -> str | None:
        """The single closest key for a 'did you mean' hint, or None if nothing is close."""
        ranked = self._scored(normalise(text), 1)
        return ranked[0][0] if ranked and ranked[0][1] >= cutoff else None

    def complete(self, partial: str, limit: int = 25) -> list[str]:
        """Keys for an as-you-type prefix: prefix hits first, then fuzzy ones."""
        norm = normalise(partial)
        if not norm:
            return self._keys[:limit]
        prefix = [k for k in self._keys if any(
            t.startswith(norm) for t, key in self._exact.items() if key == k
        )]
        fuzzy = [k for k, score in self._scored(norm, limit) if score >= 50 and k not in prefix]
        return (prefix + fuzzy)[:limit]
