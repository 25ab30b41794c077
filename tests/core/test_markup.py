"""Item text as Markdown: HTML inert, math kept, code monospace and shown exactly as written."""

from __future__ import annotations

import re

from honeybee_core.markup import safe_markdown

FENCE = re.compile(r"^(`{3,})(\S*)\n(.*?)\n\1$", re.DOTALL | re.MULTILINE)


def code_blocks(markdown: str) -> list[tuple[str, str]]:
    return [(m.group(2), m.group(3)) for m in FENCE.finditer(markdown)]


def test_fenced_code_stays_exact_and_fenced_while_the_prose_around_it_is_escaped():
    text = ("Explain the code:\n```python\nif a < b and cost > $5:\n    print('<b>hi</b>')\n```\n"
            "It prints <i>hi</i> when $E_g < 2$ eV.")
    out = safe_markdown(text)
    assert code_blocks(out) == [("python", "if a < b and cost > $5:\n    print('<b>hi</b>')")]
    prose = FENCE.sub("", out)
    assert "&lt;i&gt;hi&lt;/i&gt;" in prose and "$E_g \\lt  2$" in prose and "<" not in prose


def test_unfenced_code_is_recognised_and_rendered_monospace():
    code = "def hall_petch(s0, k, d):\n    return s0 + k / d ** 0.5\n\nprint(hall_petch(1, 2, 4))"
    assert code_blocks(safe_markdown(code)) == [("python", code)]
    mixed = safe_markdown("Density:\nmass = 27.0  # g\nvolume = 10.0  # cm^3\nThat is it.")
    assert code_blocks(mixed) == [("", "mass = 27.0  # g\nvolume = 10.0  # cm^3")]
    assert mixed.startswith("Density:") and mixed.endswith("That is it.")


def test_prose_is_not_mistaken_for_code():
    for prose in ("Silicon has a band gap of 1.12 eV.\nGermanium has 0.66 eV.",
                  "The sample was annealed; if heated further, it softens.\nSee Table 1.",
                  "Import of steel rose in 2020."):
        assert not code_blocks(safe_markdown(prose)), prose


def test_code_cannot_close_its_fence_or_smuggle_html_out():
    out = safe_markdown("```\nx = 1\n```\n<script>alert(1)</script>\n```js\n``` inner\n```")
    assert "&lt;script&gt;" in out and "<script>" not in out
    evil = safe_markdown("~~~\n````\n<img src=x onerror=alert(1)>\n~~~")
    (_, body), = code_blocks(evil)
    assert body == "````\n<img src=x onerror=alert(1)>" and evil.startswith("`````")


def test_inline_code_spans_stay_literal():
    out = safe_markdown("Use `a<b && c` here, not <b>bold</b>.")
    assert "`a<b && c`" in out and "&lt;b&gt;bold&lt;/b&gt;" in out
