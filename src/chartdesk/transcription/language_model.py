"""Domain adaptation for the default engine: a trigram language model built from what this site writes.

The wheel's language model is general English; clinical dictation is not ("ventriculostomy" and
"intracranial" are rare or absent there). `chartdesk transcription build-lm` counts the words of the
site's signed notes, the document-type templates, and the phrases other apps register through
core.registry (code titles, drug names), and writes a back-off trigram model:

- absolute discounting (D = 0.7) with back-off weights that keep every history's distribution
  summing to one, n-grams seen once above the unigrams left out (they mostly add noise and size);
- only words the engine can pronounce (in its pronunciation dictionary) are kept; sentences keep
  their shape around the others (an unknown word is a gap, not a sentence end);
- written as ARPA text, then converted to pocketsphinx's binary form, which loads in a fraction of
  the time. The engine uses it whenever the file exists (settings.SPEECH_LANGUAGE_MODEL).

The benchmark builds one the same way from MTSamples notes other than the ones it speaks
(bench/transcription.py), as a site would from its own past notes.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ORDER = 3
DISCOUNT = 0.7
UNKNOWN = "<unk>"
START, END = "<s>", "</s>"
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
CLAUSE_END = re.compile(r"[.!?;:\n]+")


def sentences_of(text: str) -> Iterator[list[str]]:
    """Lower-case word lists, one per sentence or clause, hyphenated words split."""
    for piece in CLAUSE_END.split(text.lower().replace("-", " ")):
        words = WORD.findall(piece)
        if words:
            yield words


def engine_vocabulary(dictionary: Path | None = None) -> set[str]:
    """The words the default engine can pronounce: its dictionary's entries ("word(2)" is "word")."""
    if dictionary is None:
        from pocketsphinx import get_model_path

        dictionary = Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"
    with dictionary.open(encoding="utf-8") as entries:
        return {line.split(maxsplit=1)[0].split("(", 1)[0] for line in entries if line.strip()}


@dataclass(frozen=True)
class ModelStats:
    sentences: int
    tokens: int
    unknown_tokens: int
    ngrams: tuple[int, ...]  # how many 1-, 2- and 3-grams the model holds


def _counts(sentences: Iterable[list[str]], vocabulary: set[str]) -> tuple[list[Counter[tuple[str, ...]]], int, int,
                                                                             int]:
    counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(ORDER)]
    sentence_count = tokens = unknown = 0
    for words in sentences:
        sentence_count += 1
        padded = [START] + [word if word in vocabulary else UNKNOWN for word in words] + [END]
        tokens += len(words)
        unknown += sum(1 for word in padded if word == UNKNOWN)
        for n in range(1, ORDER + 1):
            for index in range(len(padded) - n + 1):
                gram = tuple(padded[index:index + n])
                if n == 1 and gram == (START,):
                    continue
                counts[n - 1][gram] += 1
    return counts, sentence_count, tokens, unknown


def build_arpa(sentences: Iterable[list[str]], vocabulary: set[str]) -> tuple[str, ModelStats]:
    """The ARPA text of a back-off trigram model of `sentences`, over the words of `vocabulary`."""
    counts, sentence_count, tokens, unknown = _counts(sentences, vocabulary)
    unigrams = {gram: count for gram, count in counts[0].items() if gram != (UNKNOWN,)}
    total = sum(unigrams.values()) or 1
    probability: dict[tuple[str, ...], float] = {gram: count / total for gram, count in unigrams.items()}
    probability[(START,)] = 0.0
    kept: list[dict[tuple[str, ...], float]] = [probability]
    history_totals: list[Counter[tuple[str, ...]]] = [Counter()]
    for n in range(2, ORDER + 1):
        totals: Counter[tuple[str, ...]] = Counter()
        for gram, count in counts[n - 1].items():
            totals[gram[:-1]] += count
        history_totals.append(totals)
        level: dict[tuple[str, ...], float] = {}
        for gram, count in counts[n - 1].items():
            if UNKNOWN in gram or (n == ORDER and count < 2):
                continue
            level[gram] = (count - DISCOUNT) / totals[gram[:-1]]
        kept.append(level)

    def lower(gram: tuple[str, ...]) -> float:
        """The back-off estimate of a gram's last word after its shortened history."""
        shorter = gram[1:]
        if len(shorter) == 1:
            return kept[0].get(shorter, 0.0)
        found = kept[len(shorter) - 1].get(shorter)
        if found is not None:
            return found
        return backoff[len(shorter) - 2].get(shorter[:-1], 1.0) * lower(shorter)

    backoff: list[dict[tuple[str, ...], float]] = []
    for n in range(2, ORDER + 1):
        seen_mass: dict[tuple[str, ...], float] = defaultdict(float)
        lower_mass: dict[tuple[str, ...], float] = defaultdict(float)
        for gram, p in kept[n - 1].items():
            seen_mass[gram[:-1]] += p
            lower_mass[gram[:-1]] += lower(gram)
        weights: dict[tuple[str, ...], float] = {}
        for history in kept[n - 2]:
            if history in seen_mass and lower_mass[history] < 1.0:
                weights[history] = max(1.0 - seen_mass[history], 1e-9) / max(1.0 - lower_mass[history], 1e-9)
            else:
                weights[history] = 1.0
        backoff.append(weights)

    lines = ["\\data\\"] + [f"ngram {n}={len(kept[n - 1])}" for n in range(1, ORDER + 1)] + [""]
    for n in range(1, ORDER + 1):
        lines.append(f"\\{n}-grams:")
        for gram, p in sorted(kept[n - 1].items()):
            log_p = -99.0 if p <= 0 else math.log10(p)
            text = f"{log_p:.4f}\t{' '.join(gram)}"
            if n < ORDER:
                text += f"\t{math.log10(backoff[n - 1].get(gram, 1.0)):.4f}"
            lines.append(text)
        lines.append("")
    lines.append("\\end\\")
    stats = ModelStats(sentence_count, tokens, unknown, tuple(len(level) for level in kept))
    return "\n".join(lines) + "\n", stats


class NothingToLearn(ValueError):
    """No word of the text is one the engine can pronounce: no model is written."""


def write_model(sentences: Iterable[list[str]], destination: Path, vocabulary: set[str] | None = None) -> ModelStats:
    """Build the model and write it where the engine reads it (binary; the ARPA text beside it)."""
    arpa_text, stats = build_arpa(sentences, vocabulary if vocabulary is not None else engine_vocabulary())
    if stats.tokens == stats.unknown_tokens:
        raise NothingToLearn("there is no text to learn from")
    destination.parent.mkdir(parents=True, exist_ok=True)
    arpa = destination.with_suffix(".arpa")
    arpa.write_text(arpa_text, encoding="utf-8")
    from pocketsphinx import Config, LogMath, NGramModel

    model = NGramModel(Config(), LogMath(), str(arpa))
    partial = destination.with_suffix(".partial")
    model.write(str(partial), NGramModel.str_to_type("bin"))
    partial.replace(destination)  # the engine never reads a half-written model
    return stats
