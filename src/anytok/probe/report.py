"""The probes' report.html: per suite, a table of every measure (models side by side, mean ±
standard error) and a bar chart with error bars; the paired differences of the first two models;
what was skipped and why; a few items as asked and answered. Built from the score report's page,
card and plot helpers (:mod:`anytok.scoring.report`, :mod:`anytok.scoring.plots`)."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence

import numpy as np

from anytok.probe.card import ProbeCard, SuiteResult, differences, fmt, rows
from anytok.scoring import plots
from anytok.scoring.report import html_page, img_card, section

_NOTES = {
    "chars": "Letters inside tokens: ranked = the right answer is the likeliest candidate (chance: count about 1/6, "
             "spell and reverse 1/4, index 1/26, substring 1/2); greedy = the greedy answer is exactly right. "
             "Two-shot prompts; the same words for every model.",
    "numbers": "The same digits fed as the tokenizer's canonical tokens, one digit per token, or three-digit chunks "
               "from the left / right; a grouping the vocabulary cannot express is skipped.",
    "encodings": "The same text under non-canonical tokenizations (a share of the tokens split into smaller "
                 "tokens); the byte-level model sums over tokenizations and is the reference.",
    "perturb": "Extra bits per byte of the clean text needed for the perturbed one; tokens ratio: what the "
               "tokenizer does with it.",
    "code": "Semantics-preserving rewrites of Python functions: change of the next line's bits per byte, and "
            "share of greedy completions whose meaning changes.",
}


def _measure(card: ProbeCard, suite: str, name: str):
    return card.suites.get(suite, SuiteResult(suite, {})).measures.get(name)


def suite_table(cards: Sequence[ProbeCard], suite: str) -> str:
    """An HTML table: a row per measure of ``suite``, a column per model; the best mean in green
    where the measure has a direction and the models differ by more than their standard errors."""
    names = [m for s, m in rows(cards) if s == suite]
    head = "".join(f'<th><span class="swatch" style="background:{plots.color(k)}"></span>{html.escape(c.model)}</th>'
                   for k, c in enumerate(cards))
    body = []
    for name in names:
        found = [_measure(c, suite, name) for c in cards]
        best = _best(found)
        cells = "".join(f'<td{" class=best" if k == best else ""}>{html.escape(fmt(m.mean, m.stderr)) if m else "skipped"}</td>'
                        for k, m in enumerate(found))
        body.append(f"<tr><td>{html.escape(name)}</td>{cells}</tr>")
    return f'<table><thead><tr><th>measure</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _best(found) -> int | None:
    valid = [(k, m) for k, m in enumerate(found) if m is not None and not math.isnan(m.mean)]
    if len(valid) < 2 or not valid[0][1].better:
        return None
    sign = 1 if valid[0][1].better == "higher" else -1
    ranked = sorted(valid, key=lambda km: -sign * km[1].mean)
    (k0, top), (_, second) = ranked[0], ranked[1]
    spread = max(top.stderr if not math.isnan(top.stderr) else 0, second.stderr if not math.isnan(second.stderr) else 0)
    return k0 if abs(top.mean - second.mean) > spread else None


def unit(name: str) -> str:
    """What a measure counts, by its name: a share of items, bits, or a ratio of token counts."""
    if any(w in name for w in ("ranked", "greedy", "edits", "changed", "exact")):
        return "share of items"
    return "tokens ratio" if "tokens" in name else "bits"


def suite_chart(cards: Sequence[ProbeCard], suite: str) -> bytes | None:
    """Horizontal bars, one per model and measure, standard errors as whiskers; a panel per unit
    (shares of items, bits, token ratios), so no scale hides another."""
    names = [m for s, m in rows(cards) if s == suite]
    groups = {u: [n for n in names if unit(n) == u] for u in ("share of items", "bits", "tokens ratio")}
    groups = {u: ns for u, ns in groups.items() if ns}
    if not groups:
        return None
    heights = [0.25 * len(ns) * max(1, len(cards) * 0.6) + 0.6 for ns in groups.values()]
    fig = plots.figure(9, sum(heights) + 0.3)
    axes = np.atleast_1d(fig.subplots(len(groups), 1, squeeze=False, height_ratios=heights)).ravel()
    bar = 0.8 / len(cards)
    for ax, (label, ns) in zip(axes, groups.items()):
        y = np.arange(len(ns))
        for k, card in enumerate(cards):
            found = [_measure(card, suite, n) for n in ns]
            means = [m.mean if m else np.nan for m in found]
            errs = [m.stderr if m and not math.isnan(m.stderr) else 0 for m in found]
            ax.barh(y + (k - (len(cards) - 1) / 2) * bar, means, bar, xerr=errs, color=plots.color(k),
                    label=card.model, error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(y, ns, fontsize=7.5)
        ax.invert_yaxis()
        ax.axvline(0, color="#888", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_xlabel(label, fontsize=8)
        ax.tick_params(axis="x", labelsize=7.5)
    axes[0].legend(fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=len(cards))
    return plots.png_bytes(fig)


def differences_table(a: ProbeCard, b: ProbeCard) -> str:
    """The paired differences b - a that exceed their standard error."""
    diffs = [d for d in differences(a, b) if d["larger_than_stderr"]]
    if not diffs:
        return '<p class="note">No measure differs by more than its standard error.</p>'
    body = "".join(f'<tr><td>{html.escape(d["suite"])}</td><td style="text-align:left">{html.escape(d["measure"])}</td>'
                   f"<td>{d['a']:.3f}</td><td>{d['b']:.3f}</td><td>{d['diff']:+.3f} ± {d['stderr']:.3f}</td></tr>"
                   for d in diffs)
    return (f'<table><thead><tr><th>suite</th><th style="text-align:left">measure</th><th>{html.escape(a.model)}</th>'
            f'<th>{html.escape(b.model)}</th><th>difference (paired)</th></tr></thead><tbody>{body}</tbody></table>')


def _details(cards: Sequence[ProbeCard], suite: str) -> str:
    skipped = "".join(f"<li>{html.escape(c.model)}: {html.escape(part)}: {html.escape(why)}</li>"
                      for c in cards for part, why in c.suites.get(suite, SuiteResult(suite, {})).skipped.items())
    examples = "".join(f"<h4>{html.escape(c.model)}</h4><pre>{html.escape(json.dumps(list(c.suites[suite].examples), indent=1, ensure_ascii=False))}</pre>"
                       for c in cards if suite in c.suites and c.suites[suite].examples)
    out = f'<p class="note">Skipped or partial:</p><ul class="note">{skipped}</ul>' if skipped else ""
    if examples:
        out += f"<details><summary>examples as asked and answered</summary>{examples}</details>"
    return f'<div class="card">{out}</div>' if out else ""


def render_probe_report(cards: Sequence[ProbeCard], *, title: str = "anytok probes") -> str:
    """The whole report as one HTML string."""
    suites = list(dict.fromkeys(s for c in cards for s in c.suites))
    meta = " · ".join(f"{html.escape(c.model)} ({html.escape(c.tokenizer)}, {c.seconds:.0f} s)" for c in cards)
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<div class="meta">{meta} · {cards[0].limit} items per task · seed {cards[0].seed} · by anytok</div>']
    for suite in suites:
        chart = suite_chart(cards, suite)
        body = f'<div class="card">{suite_table(cards, suite)}</div>'
        body += img_card(chart, f"{suite} measures") if chart else ""
        parts.append(section(suite, body + _details(cards, suite), _NOTES.get(suite, "")))
    if len(cards) >= 2:
        parts.append(section(f"Where {cards[0].model} and {cards[1].model} differ",
                             f'<div class="card">{differences_table(cards[0], cards[1])}</div>',
                             "Paired over the same items (difference = second - first); listed where it exceeds "
                             "its standard error."))
    return html_page(title, parts)
