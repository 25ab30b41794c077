"""Model-written text made safe to render as Markdown with LaTeX math.

Generated or imported triples may hold HTML or script. Streamlit already refuses raw HTML unless
unsafe_allow_html is set (we never set it); on top of that `safe_markdown` escapes < > & so any
markup shows as inert text, while $...$ and $$...$$ math (as in arXiv abstracts) still renders:
inside math, < > & become KaTeX's \\lt, \\gt and \\& instead of HTML entities, which KaTeX would
print literally. Images are neutralised too, so a triple cannot make the browser fetch a URL.
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


def _escape(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in text)


def safe_markdown(text: str | None) -> str:
    """Markdown for st.markdown: HTML inert, math kept, images shown as their alt text link."""
    if not text:
        return ""
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
