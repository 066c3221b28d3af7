"""The ``chars`` suite: what a model sees of the characters inside its tokens (CharBench,
SubTokenTest): count a letter, spell, the i-th letter, reverse, is-substring.

Items are drawn from the shipped word list, the same ones for every model at a seed; each is a
two-shot question answered by likelihood ranking of candidates and by greedy generation.
"""

from __future__ import annotations

import string
from collections.abc import Callable

from anytok.probe.card import Measure, SuiteResult
from anytok.probe.questions import Question, ask, rng_for, words
from anytok.probe.runner import ProbeModel

TASKS = ("count", "spell", "index", "reverse", "substring")

_SHOTS = {
    "count": [('How many times does the letter "e" appear in "between"?', " 3"),
              ('How many times does the letter "s" appear in "glass"?', " 2")],
    "spell": [('Spell "cat" with hyphens.', " c-a-t"), ('Spell "river" with hyphens.', " r-i-v-e-r")],
    "index": [('What is letter number 2 of "stone"?', " t"), ('What is letter number 4 of "bread"?', " a")],
    "reverse": [('Write "stone" backwards.', " enots"), ('Write "lamp" backwards.', " pmal")],
    "substring": [('Does "garden" contain "den"?', " Yes"), ('Does "window" contain "wid"?', " No")],
}


def _prompt(task: str, question: str) -> str:
    shots = "".join(f"Q: {q}\nA:{a}\n" for q, a in _SHOTS[task])
    return f"{shots}Q: {question}\nA:"


def _swap(word: str, rng) -> str:
    """``word`` with two adjacent different letters swapped (the word itself if it has none)."""
    spots = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _substitute(word: str, rng) -> str:
    """``word`` with one letter replaced by another."""
    i = rng.randrange(len(word))
    return word[:i] + rng.choice([c for c in string.ascii_lowercase if c != word[i]]) + word[i + 1:]


def _distractors(answer: str, make: Callable[[], str], n: int = 3) -> tuple[str, ...]:
    """The answer and up to ``n`` different wrong ones from ``make`` (the same length as the answer)."""
    out = [answer]
    for _ in range(50):
        if len(out) > n:
            break
        wrong = make()
        if wrong not in out:
            out.append(wrong)
    return tuple(out)


def question(task: str, k: int, seed: int, vocabulary: list[str]) -> Question:
    """Item ``k`` of ``task`` at ``seed``."""
    rng = rng_for(seed, "chars", task, k)
    shot_words = {"between", "glass", "cat", "river", "stone", "bread", "lamp", "garden", "window"}
    word = rng.choice([w for w in vocabulary if w not in shot_words])
    if task == "count":
        letter = rng.choice(word) if rng.random() < 0.8 else rng.choice(sorted(set(string.ascii_lowercase) - set(word)))
        n = word.count(letter)
        return Question(task, _prompt(task, f'How many times does the letter "{letter}" appear in "{word}"?'),
                        f" {n}", tuple(f" {i}" for i in range(max(6, n + 1))), {"word": word, "letter": letter})
    if task == "spell":
        answer = " " + "-".join(word)
        cands = _distractors(answer, lambda: " " + "-".join(_swap(word, rng) if rng.random() < 0.5
                                                           else _substitute(word, rng)))
        return Question(task, _prompt(task, f'Spell "{word}" with hyphens.'), answer, cands, {"word": word})
    if task == "index":
        i = rng.randrange(len(word))
        return Question(task, _prompt(task, f'What is letter number {i + 1} of "{word}"?'), f" {word[i]}",
                        tuple(f" {c}" for c in string.ascii_lowercase), {"word": word, "position": i + 1})
    if task == "reverse":
        answer = " " + word[::-1]
        cands = _distractors(answer, lambda: " " + (_swap(word[::-1], rng) if rng.random() < 0.5
                                                    else _substitute(word[::-1], rng)))
        return Question(task, _prompt(task, f'Write "{word}" backwards.'), answer, cands, {"word": word})
    if task == "substring":
        size = rng.randint(2, min(4, len(word) - 1))
        start = rng.randrange(len(word) - size + 1)
        part = word[start:start + size]
        inside = k % 2 == 0  # half the items each way
        while not inside and part in word:
            part = _substitute(part, rng)
        return Question(task, _prompt(task, f'Does "{word}" contain "{part}"?'), " Yes" if inside else " No",
                        (" Yes", " No"), {"word": word, "part": part})
    raise ValueError(f"chars task {task!r} is not one of {', '.join(TASKS)}")


def questions(limit: int, seed: int) -> list[Question]:
    """``limit`` items of every task."""
    vocabulary = words()
    return [question(task, k, seed, vocabulary) for task in TASKS for k in range(limit)]


def run(model: ProbeModel, *, limit: int, seed: int) -> SuiteResult:
    """Every chars task: accuracy by likelihood ranking and greedy exact match, per task."""
    ranked: dict[str, list[float]] = {t: [] for t in TASKS}
    exact: dict[str, list[float]] = {t: [] for t in TASKS}
    examples = []
    for q in questions(limit, seed):
        a = ask(model, q)
        ranked[q.task].append(a.ranked)
        exact[q.task].append(a.exact)
        if len(ranked[q.task]) == 1:
            examples.append({"task": q.task, "question": q.prompt.rsplit("Q: ", 1)[-1], "answer": q.answer,
                             "greedy": a.greedy})
    measures = {}
    for t in TASKS:
        measures[f"{t}: ranked"] = Measure(tuple(ranked[t]), "higher", f"{t}: share of items where the right "
                                           f"answer is the likeliest of its candidates")
        measures[f"{t}: greedy"] = Measure(tuple(exact[t]), "higher", f"{t}: share of greedy answers exactly right")
    return SuiteResult("chars", measures, examples=examples)
