"""The probes' report.html in headless Chromium: every chart loads, both models are in every table."""

from __future__ import annotations

import json
import re

from anytok.probe import ProbeConfig, ProbeModel, run_probes
from anytok.probe.questions import data_text
from tests.scoring.test_report_browser import _CHECK, _run_chromium
from tests.tiny import tiny_model, tiny_tokenizer


def test_probe_report_renders_with_two_models(tmp_path):
    tok = tiny_tokenizer(data_text("prose.txt").split("\n"), vocab_size=500)
    models = [ProbeModel(tiny_model(tok.vocab_size, seed=s), tok, name=f"tiny{s}") for s in (0, 1)]
    run_probes(models, ProbeConfig(suites=("chars", "perturb"), limit=2), out=tmp_path)
    checked = tmp_path / "checked.html"
    checked.write_text((tmp_path / "report.html").read_text(encoding="utf-8").replace("</body>", _CHECK + "</body>"),
                       encoding="utf-8")
    run = _run_chromium(["--virtual-time-budget=10000", "--dump-dom", checked.as_uri()], tmp_path / "profile")
    found = re.search(r'<pre id="anytok-check">(.*?)</pre>', run.stdout, re.DOTALL)
    assert found, f"no check result in Chromium's DOM dump; stderr: {run.stderr[-2000:]}"
    data = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(data["imgs"]) == 2 and all(i["w"] > 0 and i["h"] > 0 for i in data["imgs"]), data["imgs"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("tiny0</th>") >= 2 and html.count("tiny1</th>") >= 2  # a column in each suite's table
    assert "Where tiny0 and tiny1 differ" in html
