"""The ``numbers`` suite: arithmetic and comparison with the same digits grouped into tokens in
different ways ("Tokenization Constraints in LLMs"; digit grouping studies).

The text of each item is fixed; only its tokenization changes. Every number of the prompt and of
the candidate answers is fed as

- ``canonical``: the tokenizer's own encoding of the whole text;
- ``digits1``: one token per digit;
- ``l2r3`` / ``r2l3``: chunks of three digits from the left / from the right (``12|345`` vs ``123|45``),

the rest of the text canonically. A grouping needs every chunk to be one token of the vocabulary;
where it is not (a tokenizer that splits digits one by one has no ``345``), that grouping is skipped
for the model and the reason recorded. A grouping that gives the canonical ids on every item is
run anyway and said so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from anytok.probe.card import Measure, SuiteResult
from anytok.probe.questions import Question, ask, rng_for
from anytok.probe.runner import ProbeModel

TASKS = ("add", "multiply", "compare")
GROUPINGS = ("canonical", "digits1", "l2r3", "r2l3")
_NUMBER = re.compile(r"[0-9]+")

_SHOTS = {"add": "17 + 25 = 42\n306 + 1190 = 1496\n", "multiply": "12 * 34 = 408\n7 * 215 = 1505\n",
          "compare": "Is 4821 larger than 4812? Yes\nIs 390 larger than 1204? No\n"}


def chunks(digits: str, grouping: str) -> list[str]:
    """The digit string cut as ``grouping`` says (``canonical`` is not a cut: the tokenizer's own)."""
    if grouping == "digits1":
        return list(digits)
    if grouping == "l2r3":
        return [digits[i:i + 3] for i in range(0, len(digits), 3)]
    if grouping == "r2l3":
        head = len(digits) % 3
        return ([digits[:head]] if head else []) + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    raise ValueError(f"grouping {grouping!r} is not one of {', '.join(GROUPINGS[1:])}")


def _near(n: int, rng) -> int:
    """A wrong answer close to ``n`` (off by one, by ten, or two digits swapped)."""
    s = str(n)
    kind = rng.randrange(3)
    if kind == 2 and len(s) > 1:
        i = rng.randrange(len(s) - 1)
        if s[i] != s[i + 1] and not (i == 0 and s[1] == "0"):
            return int(s[:i] + s[i + 1] + s[i] + s[i + 2:])
    return max(0, n + rng.choice((-1, 1)) * (10 if kind == 1 else 1))


def question(task: str, k: int, seed: int) -> Question:
    """Item ``k`` of ``task`` at ``seed``."""
    rng = rng_for(seed, "numbers", task, k)
    if task == "compare":
        digits = rng.randint(4, 7)
        a = rng.randrange(10 ** (digits - 1), 10 ** digits)
        s = list(str(a))
        i = rng.randrange(1, digits)
        s[i] = str((int(s[i]) + rng.randint(1, 9)) % 10)
        b = int("".join(s))
        return Question(task, _SHOTS[task] + f"Is {a} larger than {b}?", " Yes" if a > b else " No", (" Yes", " No"),
                        {"a": a, "b": b})
    if task == "add":
        a, b = rng.randrange(100, 10 ** rng.randint(3, 6)), rng.randrange(100, 10 ** rng.randint(3, 6))
        result, op = a + b, "+"
    elif task == "multiply":
        a, b = rng.randrange(10, 1000), rng.randrange(10, 100)
        result, op = a * b, "*"
    else:
        raise ValueError(f"numbers task {task!r} is not one of {', '.join(TASKS)}")
    cands = [f" {result}"]
    for _ in range(40):
        wrong = f" {_near(result, rng)}"
        if wrong not in cands:
            cands.append(wrong)
        if len(cands) == 4:
            break
    return Question(task, _SHOTS[task] + f"{a} {op} {b} =", f" {result}", tuple(cands), {"a": a, "b": b})


def questions(limit: int, seed: int) -> list[Question]:
    """``limit`` items of every task."""
    return [question(task, k, seed) for task in TASKS for k in range(limit)]


def encode_grouped(model: ProbeModel, text: str, grouping: str) -> list[int] | None:
    """Token ids of ``text`` with every digit run cut by ``grouping`` (the rest canonically), or
    None when a chunk is not one token. Only the item's last line is regrouped: the shots stay
    canonical, so every grouping sees the same examples."""
    if grouping == "canonical":
        return model.encode(text)
    head, _, last = text.rpartition("\n")
    ids = model.encode(head + "\n") if head else []
    index = model.tokenizer.ordinary_index
    pos = 0
    for m in _NUMBER.finditer(last):
        if m.start() > pos:
            ids += model.encode(last[pos:m.start()])
        for chunk in chunks(m.group(), grouping):
            if chunk.encode() not in index:
                return None
            ids.append(index[chunk.encode()])
        pos = m.end()
    if pos < len(last):
        ids += model.encode(last[pos:])
    return ids if model.tokenizer.decode(ids) == text.encode() else None


def _why_not(model: ProbeModel, q: Question, grouping: str) -> str:
    """Why ``grouping`` cannot feed question ``q``: the first digit chunk that is not a token."""
    digits = _NUMBER.findall(q.prompt.rpartition("\n")[2] + " ".join(q.candidates))
    missing = [c for d in digits for c in chunks(d, grouping) if c.encode() not in model.tokenizer.ordinary_index]
    if missing:
        return f"the tokenizer has no single token for the digits {missing[0]!r}"
    return "the text's pieces do not decode back to the text (a tokenizer that adds a prefix space)"


def run(model: ProbeModel, *, limit: int, seed: int, groupings: Sequence[str] = GROUPINGS) -> SuiteResult:
    """Every task under every grouping the tokenizer can express: ranked accuracy, greedy exact
    match and the answer's bits, per task and grouping."""
    qs = questions(limit, seed)
    measures, skipped, examples = {}, {}, []
    for grouping in groupings:
        encoded = []
        for q in qs:
            prompt = encode_grouped(model, q.prompt, grouping)
            cands = [encode_grouped(model, c, grouping) for c in q.candidates]
            if prompt is None or any(c is None for c in cands):
                skipped[grouping] = _why_not(model, q, grouping)
                break
            encoded.append((q, prompt, cands))
        else:
            if grouping != "canonical" and all(p == model.encode(q.prompt) for q, p, _ in encoded):
                skipped[grouping] = "gives the canonical ids on every item (each digit is already a token): not run twice"
                continue
            results: dict[str, dict[str, list[float]]] = {t: {"ranked": [], "greedy": [], "bits": []} for t in TASKS}
            for q, prompt, cands in encoded:
                a = ask(model, q, prompt_ids=prompt, candidate_ids=cands)
                r = results[q.task]
                r["ranked"].append(a.ranked)
                r["greedy"].append(a.exact)
                r["bits"].append(a.answer_bits)
                if len(r["ranked"]) == 1 and grouping in ("canonical", "digits1"):
                    examples.append({"task": q.task, "grouping": grouping, "question": q.prompt.rpartition("\n")[2],
                                     "answer": q.answer, "greedy": a.greedy})
            for t in TASKS:
                measures[f"{t}: ranked [{grouping}]"] = Measure(
                    tuple(results[t]["ranked"]), "higher", f"{t}, digits fed {grouping}: share where the right answer "
                    "is the likeliest candidate")
                measures[f"{t}: greedy [{grouping}]"] = Measure(
                    tuple(results[t]["greedy"]), "higher", f"{t}, prompt digits fed {grouping}: share of greedy answers "
                    "exactly right")
                measures[f"{t}: answer bits [{grouping}]"] = Measure(
                    tuple(results[t]["bits"]), "lower", f"{t}, digits fed {grouping}: -log2 p of the right answer")
    return SuiteResult("numbers", measures, skipped, examples)
