"""Model-written text made safe to render as Markdown with LaTeX math and code.

Generated or imported triples may hold HTML or script. Streamlit already refuses raw HTML unless
unsafe_allow_html is set (we never set it); on top of that `safe_markdown` escapes < > & so any
markup shows as inert text, while $...$ and $$...$$ math (as in arXiv abstracts) still renders:
inside math, < > & become KaTeX's \\lt, \\gt and \\& instead of HTML entities, which KaTeX would
print literally. Images are neutralised too, so a triple cannot make the browser fetch a URL.

Code renders monospace: fenced blocks (``` or ~~~), `inline spans`, and runs of lines that read
as code though nobody fenced them (a model's Python answer). Markdown shows code as literal text,
so code passes through unescaped (an escaped "&lt;" would show as such) inside a fence longer
than any backtick run in it, which the code therefore cannot close.
"""

from __future__ import annotations

import re

# $$display$$ first, then $inline$ under pandoc's rule: no space just inside the dollars and no
# digit right after the closing one, so "costs $5 and $10" stays text.
_MATH = re.compile(r"(\$\$.+?\$\$|(?<![\\$])\$(?![\s$])[^$\n]*?(?<![\s\\])\$(?!\d))", re.DOTALL)
_LONE_DOLLAR = re.compile(r"(?<!\\)\$")
_SINGLE_NEWLINE = re.compile(r"(?<!\n)\n(?!\n)")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_TEX = {"&": r"\&", "<": r"\lt ", ">": r"\gt "}
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
# A line that reads as code: a statement, a definition, an assignment, a call, or indented.
_CODE_LINE = re.compile(
    r"^(\s{4,}\S|\t|(def|class|async def) \w+.*:\s*(#.*)?$|(import|from) [\w.]+|return\b|"
    r"print\(|(for|while|if|elif|with) .+:\s*(#.*)?$|(else|try|finally):\s*$|except\b|"
    r"#include\b|@\w+|[A-Za-z_][\w.\[\]'\"]* *[-+*/%]?= *\S|[\w.]+\(.*\)\s*;?\s*(#.*)?$|"
    r"[}{)\]]\s*;?\s*$)")
_STRONG_CODE = re.compile(
    r"^\s*(def |class |import |from [\w.]+ import |return\b|print\(|#include)", re.MULTILINE)


def _escape(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in text)


def safe_markdown(text: str | None) -> str:
    """Markdown for st.markdown: HTML inert, math kept, code monospace, images shown as their
    alt text link."""
    if not text:
        return ""
    parts = []
    for kind, body, lang in _blocks(text.split("\n")):
        parts.append(_fenced(body, lang) if kind == "code" else _prose(body))
    return "\n\n".join(p for p in parts if p)


def _blocks(lines: list[str]) -> list[tuple[str, str, str]]:
    """The text as (kind, body, language) blocks: fenced code, unfenced code runs, and prose."""
    blocks: list[tuple[str, str, str]] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            blocks.append(("prose", "\n".join(prose), ""))
            prose.clear()

    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        if opened:
            fence = opened.group(1)
            end = next((j for j in range(i + 1, len(lines))
                        if lines[j].strip().startswith(fence)
                        and not lines[j].strip().strip(fence[0])), len(lines))
            flush()
            blocks.append(("code", "\n".join(lines[i + 1 : end]), opened.group(2)))
            i = end + 1
            continue
        run = _code_run(lines, i)
        if run:
            flush()
            body = "\n".join(lines[i : i + run])
            blocks.append(("code", body, "python" if _STRONG_CODE.search(body) else ""))
            i += run
            continue
        prose.append(lines[i])
        i += 1
    flush()
    return blocks


def _code_run(lines: list[str], start: int) -> int:
    """How many lines from start form unfenced code: two or more code lines (blank lines inside
    allowed), or one with an unmistakable keyword; 0 when the line is prose."""
    end = start
    while end < len(lines) and (_CODE_LINE.match(lines[end]) or (
            not lines[end].strip() and end + 1 < len(lines) and _CODE_LINE.match(lines[end + 1])
            and end > start)):
        end += 1
    count = end - start
    strong = any(_STRONG_CODE.match(line) for line in lines[start:end])
    return count if count >= 2 or (count == 1 and strong) else 0


def _fenced(code: str, lang: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    info = re.sub(r"[^\w+#.-]", "", lang)
    return f"{fence}{info}\n{code}\n{fence}"


def _prose(text: str) -> str:
    out, last = [], 0
    for span in _CODE_SPAN.finditer(text):  # inline code is literal in Markdown: keep it as is
        out.append(_text(text[last:span.start()]))
        out.append(span.group(0))
        last = span.end()
    out.append(_text(text[last:]))
    return "".join(out)


def _text(text: str) -> str:
    out, last = [], 0
    for match in _MATH.finditer(text):
        out.append(_plain(text[last:match.start()]))
        out.append(_escape(match.group(0), _TEX))
        last = match.end()
    out.append(_plain(text[last:]))
    return "".join(out)


def _plain(text: str) -> str:
    # a lone "$" outside math is a dollar sign, not the start of a formula
    text = _LONE_DOLLAR.sub(r"\\$", _escape(text, _HTML))
    # "![alt](url)" would load the URL; "!\[" renders the same characters without fetching
    text = text.replace("![", "!\\[")
    # a single newline is a line break in a triple (code, lists, addresses), not a space
    return _SINGLE_NEWLINE.sub("  \n", text)
