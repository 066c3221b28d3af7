"""The HTML report in headless Chromium: every plot image loads and every tokenizer is listed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from anytok.scoring import compare

from .conftest import build_bpe

_CHECK = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => ({alt: i.alt, w: i.naturalWidth, h: i.naturalHeight}));
  const rows = [...document.querySelectorAll('table')].map(t =>
      [...t.querySelectorAll('tbody tr td:first-child')].map(td => td.textContent.trim()));
  const pre = document.createElement('pre');
  pre.id = 'anytok-check';
  pre.textContent = JSON.stringify({imgs, rows});
  document.body.appendChild(pre);
});
</script>"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    pytest.skip("headless Chromium is not installed (apt-get install -y chromium)")


def _run_chromium(args: list[str], profile) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}"]
    return subprocess.run([_chromium(), *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    toks = [build_bpe([("t", "h"), ("th", "e")], name="alpha"), build_bpe([("a", "t"), (" ", "c")], name="beta"),
            build_bpe([], name="bytes only")]
    parallel = {"en": ["the cat sat", "a hat"], "de": ["die Katze saß", "ein Hut"], "ja": ["猫が座った", "帽子"]}
    result = compare(toks, {"prose": "the cat sat on the mat\n" * 20, "code": "def f(x):\n    return x\n" * 20},
                     parallel=parallel, progress=False)
    path = tmp / "report.html"
    result.write(path)
    return path


def test_every_image_loads_and_every_tokenizer_is_listed(report, tmp_path):
    checked = tmp_path / "checked.html"
    checked.write_text(report.read_text(encoding="utf-8").replace("</body>", _CHECK + "</body>"), encoding="utf-8")
    run = _run_chromium(["--virtual-time-budget=10000", "--dump-dom", checked.as_uri()], tmp_path / "profile")
    found = re.search(r'<pre id="anytok-check">(.*?)</pre>', run.stdout, re.S)
    assert found, f"no check result in Chromium's DOM dump; stderr: {run.stderr[-2000:]}"
    data = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(data["imgs"]) == 3  # bytes/token, premiums, token lengths
    assert all(img["w"] > 0 and img["h"] > 0 for img in data["imgs"]), data["imgs"]
    summary_rows = data["rows"][0]
    assert summary_rows == ["alpha", "beta", "bytes only"]


def test_screenshot_renders(report, tmp_path):
    shot = tmp_path / "shot.png"
    run = _run_chromium([f"--screenshot={shot}", "--window-size=1280,1600", "--hide-scrollbars",
                         report.as_uri()], tmp_path / "profile")
    assert shot.exists() and shot.stat().st_size > 10_000, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
