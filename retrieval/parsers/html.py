"""HTML: main text by trafilatura (BeautifulSoup as the fallback), menus and banners dropped."""
from __future__ import annotations

import copy
import re
from dataclasses import replace

from ..config import Limits
from ..errors import IngestError
from ..textlang import UNSPACED
from ..types import Section
from .text import FENCE, SectionBuilder, split_markdown

_BOILERPLATE_TAGS = ("nav", "header", "footer", "script", "style", "aside", "noscript", "form", "template", "svg")


def parse_html(data: bytes, fallback_title: str, limits: Limits) -> tuple[str, list[Section]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode_html(data), "html.parser")
    title = _html_title(soup) or fallback_title
    _drop_boilerplate(soup)
    _unwrap_named_anchors(soup)
    _flatten_inline_code(soup)
    _join_definition_terms(soup)
    _unwrap_layout_tables(soup)
    _reflow_literal_layouts(soup)
    sections: list[Section] = []
    extracted = _trafilatura(str(soup))
    if extracted and 2 * len(_MD_HEADING.findall(extracted)) < len(_headings(soup)) - 1:  # headings lost
        extracted = _extract_keeping_headings(soup) or extracted
    if extracted and extracted.strip():
        _, sections = split_markdown(_tidy_extracted(extracted))  # the escapes still guard the headings
        sections = [replace(s, text=_unescape_markdown(s.text)) for s in sections]
    if not sections:
        sections = _html_sections_bs4(soup)
    return title, sections


def _trafilatura(html: str) -> str | None:
    """The page's main text as Markdown by trafilatura, or None (best effort: the callers fall back)."""
    try:
        import trafilatura

        return trafilatura.extract(
            html, output_format="markdown", include_tables=True, include_comments=False, favor_recall=True
        )
    except Exception:  # trafilatura is best effort; BeautifulSoup is the fallback
        return None


_MD_HEADING = re.compile(r"^#{1,6} \S", re.MULTILINE)
_MARKED_HEADING = re.compile(r"^\\?(#{1,6}) ", re.MULTILINE)
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCK_TAGS = (*_HEADING_TAGS, "p", "div", "ul", "ol", "dl", "pre", "blockquote", "table")


def _headings(soup) -> list:  # noqa: ANN001 - bs4 types are loose
    return [h for h in soup.find_all(_HEADING_TAGS) if h.get_text(strip=True)]


def _extract_keeping_headings(soup) -> str | None:  # noqa: ANN001
    """trafilatura again, each heading handed over as a "## title" paragraph: some generated
    manuals (DocBook's titlepage blocks) lose every heading in its extraction, and with them the
    question each FAQ entry answers."""
    from bs4 import BeautifulSoup

    marked = BeautifulSoup(str(soup), "html.parser")
    for heading in _headings(marked):
        paragraph = marked.new_tag("p")
        paragraph.string = "#" * int(heading.name[1]) + " " + " ".join(heading.get_text(" ").split())
        heading.replace_with(paragraph)
    again = _trafilatura(str(marked))
    return _MARKED_HEADING.sub(lambda m: f"\n{m.group(1)} ", again) if again and _MARKED_HEADING.search(again) else None


def _tidy_extracted(markdown: str) -> str:
    """Undo source-code line wrapping and bold markers that trafilatura carries over
    (code fences are left exactly as they are)."""
    markdown = _INLINE_FENCE.sub(lambda m: f"{m.group(1)}`{' '.join(m.group(2).split())}`", markdown)
    out: list[str] = []
    in_fence = False
    for line in markdown.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
        elif in_fence:
            out.append(line)
        elif out and line[:1] in (" ", "\t") and line.strip() and out[-1].strip() and not FENCE.match(out[-1]):
            out[-1] = _BOLD.sub(r"\2", out[-1].rstrip() + " " + line.strip())  # indented: same paragraph
        elif out and _CJK_WRAP.search(out[-1]) and _CJK_START.match(line) and not out[-1].startswith(("#", "|")):
            out[-1] = _BOLD.sub(r"\2", out[-1].rstrip() + line.strip())  # Chinese wrapped in the source: no space
        else:
            out.append(_BOLD.sub(r"\2", line))
    return "\n".join(out)


_CJK_WRAP = re.compile(f"[{UNSPACED}\u3000-\u303f\uff00-\uffef]\\s*$")
_CJK_START = re.compile(f"\\s*[{UNSPACED}]")
# an inline <code> holding line breaks comes out as a fence opened mid-sentence ("using ```\napt-get\n```"):
# left alone, that fence would swallow the rest of the page
_INLINE_FENCE = re.compile(r"(\S[ \t]*)```\n(.{0,400}?)\n```", re.DOTALL)
_BOLD = re.compile(r"(?<!\\)(\*\*|__)(?=\S)(.+?)(?<=[^\s\\])\1")  # "\**" is an escaped star and a marker


def _unescape_markdown(text: str) -> str:
    """The text without the backslashes trafilatura puts before Markdown syntax characters
    ("pg\\_dump", "\\`foreign'", "\\# not a heading"): exactly its escapes are undone (a run of
    2n+1 backslashes before * _ ` ~ [ ] < is n backslashes and the character; one before a line's
    leading # > - + or "1." marker; one before a table cell's |), so "C:\\path" or "\\n" stays,
    and code fences and code spans are left exactly as they are."""
    out: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            line = _ORDERED_ESCAPE.sub(r"\1\2", _BLOCK_ESCAPE.sub(r"\1\2", line, count=1), count=1)
            line = line.replace("\\|", "|") if line.startswith("|") else line
            line = _INLINE_ESCAPE.sub(_unescape_run, line)
        out.append(line)
    return "\n".join(out)


def _unescape_run(match: re.Match[str]) -> str:
    run, char = match.group("run"), match.group("char")
    if run is None or len(run) % 2 == 0:  # a code span, or backslashes that escape nothing here
        return match.group(0)
    return "\\" * (len(run) // 2) + char


_LIST_PREFIX = r"(?:[ \t]*(?:[-+*]|\d{1,9}[.)]|>)[ \t]+)*[ \t]*"
_BLOCK_ESCAPE = re.compile(rf"^({_LIST_PREFIX})\\(#{{1,6}}(?=[ \t]|$)|>|[-+](?=[ \t]|$))")
_ORDERED_ESCAPE = re.compile(rf"^({_LIST_PREFIX}\d{{1,9}})\\([.)])(?=[ \t]|$)")
_INLINE_ESCAPE = re.compile(r"(?P<code>(`+)(?!`).+?(?<!`)\2(?!`))|(?P<run>\\+)(?P<char>[*_`~\[\]<])")


def _unwrap_named_anchors(soup) -> None:  # noqa: ANN001
    """<a id="..."></a> marks a place, it is no link: trafilatura counts it as one with no text and
    drops a short list or paragraph holding one as a block of links (DocBook index terms)."""
    for anchor in soup.find_all("a"):
        if not anchor.get("href"):
            anchor.unwrap()


def _unwrap_layout_tables(soup) -> None:  # noqa: ANN001
    """A table that holds headings lays out a page, it holds no data (DocBook's question-and-answer
    sets: a row per question, a row per answer): its cells become plain blocks, so the answers read
    as paragraphs and not as "| | First of all: relax, …" table rows."""
    for table in soup.find_all("table"):
        if table.decomposed or table.find(_HEADING_TAGS) is None:
            continue
        for part in table.find_all(("thead", "tbody", "tfoot")):
            part.unwrap()
        for cell in table.find_all(("td", "th")):  # a cell of text is a paragraph, one of blocks a division
            cell.name = "div" if cell.find(_BLOCK_TAGS) is not None else "p"
        for row in table.find_all("tr"):
            row.name = "div"
        table.name = "div"


def _reflow_literal_layouts(soup) -> None:  # noqa: ANN001
    """DocBook shows a plain-text file (a README) as a literallayout: a <br> after every line and
    &nbsp; for every space. trafilatura made each line a paragraph, so no sentence was whole
    ("… because Valgrind bombed out whilst" / "running your program, …"). Where most lines are
    wrapped prose, its lines become paragraphs again (a blank line ends one), a line underlined
    with "~~~~" a heading, and its indented lines code blocks."""
    for layout in soup.select("div.literallayout, p.literallayout"):
        lines = _layout_lines(copy.copy(layout))
        text_lines = [line for line in lines if line.strip() and not _UNDERLINE.match(line)]
        prose = sum(1 for line in text_lines if not line.startswith("  ") and len(line.split()) >= 3)
        if len(text_lines) < 3 or prose < LITERAL_PROSE_SHARE * len(text_lines):
            continue
        blocks: list[tuple[str, list[str]]] = []  # ("p", "pre" or "h3", lines)
        for line in lines:
            kind = "pre" if line.startswith("  ") and line.strip() else "p"
            if (kind == "pre" and blocks and blocks[-1][0] == "p" and blocks[-1][1]
                    and not blocks[-1][1][-1].endswith(":") and _WRAPPED_PROSE.match(line)):
                kind = "p"  # the hanging indent of a list item ("1. Tell a tool … A" / "   tool could …")
            if _UNDERLINE.match(line) and blocks and blocks[-1][0] == "p" and len(blocks[-1][1]) == 1:
                blocks[-1] = ("h3", blocks[-1][1])  # "Dealing with missing system calls" over "~~~~": a title
                blocks.append(("p", []))
            elif not line.strip() or _UNDERLINE.match(line):
                blocks.append(("p", []))
            elif blocks and blocks[-1][0] == kind:
                blocks[-1][1].append(line)
            else:
                blocks.append((kind, [line]))
        layout.clear()
        for kind, block in blocks:
            if block:
                tag = soup.new_tag(kind)
                tag.string = "\n".join(block) if kind == "pre" else " ".join(line.strip() for line in block)
                layout.append(tag)


def _layout_lines(layout) -> list[str]:  # noqa: ANN001
    for piece in layout.find_all(string=True):  # the source's own line breaks are no lines here
        piece.replace_with(piece.replace("\n", ""))
    for br in layout.find_all("br"):
        br.replace_with("\n")
    return [line.rstrip() for line in layout.get_text().replace("\xa0", " ").split("\n")]


# of a literallayout's lines, at least this share is prose (not indented, three words or more) for it
# to reflow; a README that explains code has as many code lines as prose ones
LITERAL_PROSE_SHARE = 0.4
_WRAPPED_PROSE = re.compile(r"^\s+[A-Za-z][^;{}=<>|$\\]*$")  # words, no code marks
_UNDERLINE = re.compile(r"^\s*([~=*-])\1{3,}\s*$")


def _join_definition_terms(soup) -> None:  # noqa: ANN001
    """A definition list's term put at the head of its description ("--error-exitcode=<number>:
    Specifies an alternative exit code…"): apart, the option a manual describes is a line of its
    own that no sentence holds, and "which flag makes it exit non-zero?" finds the description
    without the flag. A term that is a question (an FAQ's "How do I…?") or a sentence stays a line
    of its own, and so does one whose description opens with a list or table (a contents tree)."""
    from bs4 import NavigableString

    for dd in soup.find_all("dd"):
        terms = []
        before = dd.find_previous_sibling(True)
        while before is not None and before.name == "dt":
            terms.insert(0, before)
            before = before.find_previous_sibling(True)
        labels = [" ".join(t.get_text(" ").split()) for t in terms]
        if not terms or not all(labels) or any(_TERM_IS_TEXT.search(x) for x in labels):
            continue
        if len(" ".join(labels).split()) > TERM_WORDS:
            continue
        first = next((c for c in dd.children if not (isinstance(c, NavigableString) and not c.strip())), None)
        if first is None or getattr(first, "name", None) in ("dl", "ul", "ol", "table", "pre", "div"):
            continue
        target = first if getattr(first, "name", None) == "p" else dd
        target.insert(0, NavigableString(": "))
        for n, term in enumerate(reversed(terms)):
            if n:
                target.insert(0, NavigableString(", "))
            for text in reversed(term.find_all(string=True)):  # "… [default: 0] " and DocBook's "-s, "
                kept = text.rstrip(" \t\n,")
                text.replace_with(kept)
                if kept:
                    break
            for child in reversed(list(term.children)):
                target.insert(0, child.extract())
            term.decompose()


TERM_WORDS = 12  # a longer term is a sentence of its own
_TERM_IS_TEXT = re.compile(r"[?？.!。]\s*$")


def _flatten_inline_code(soup) -> None:  # noqa: ANN001
    """Inline <code> holding markup (DocBook's "apt-file search <em><code>foo</code></em>") as plain
    text: trafilatura loses or moves the nested part ("`apt-file search` `foo`")."""
    for code in soup.find_all("code"):
        if code.find(True) is not None and code.find_parent("pre") is None:
            code.string = code.get_text()


def _decode_html(data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError("not an HTML file (binary data)")
    for encoding in ("utf-8", "utf-8-sig"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1252", errors="replace")


def _html_title(soup) -> str | None:  # noqa: ANN001 - bs4 types are loose
    """<title>, or the page's h1 when <title> is that h1 plus a site name ("Page | Site")."""
    texts = [" ".join(n.get_text(" ").split()) if n is not None else "" for n in (soup.title, soup.find("h1"))]
    title, h1 = texts
    if title and h1 and title != h1 and title.startswith(h1):
        return h1
    return title or h1 or None


def _drop_boilerplate(soup) -> None:  # noqa: ANN001
    """Remove menus, banners, sidebars and scripts (a header/footer inside an article stays)."""
    for tag in soup.find_all(_BOILERPLATE_TAGS):
        if tag.decomposed:
            continue
        if tag.name in ("header", "footer") and tag.find_parent(("article", "main")) is not None:
            continue
        tag.decompose()


def _html_sections_bs4(soup) -> list[Section]:  # noqa: ANN001
    _drop_boilerplate(soup)
    body = soup.body or soup
    built = SectionBuilder()

    blocks = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "tr", "dt", "dd")
    for node in body.find_all(blocks):
        if node.find_parent(blocks) is not None and node.name not in ("tr",):
            continue  # nested block: its text is already in the parent
        if node.name == "tr":
            text = " | ".join(" ".join(c.get_text(" ").split()) for c in node.find_all(["td", "th"]))
        else:
            text = " ".join(node.get_text(" ").split())
        if not text:
            continue
        if node.name.startswith("h") and len(node.name) == 2:
            built.start(text)
        else:
            built.add(text)
    sections = built.finish()
    if not sections:  # no block structure at all: take the visible text
        text = "\n".join(line.strip() for line in body.get_text("\n").split("\n") if line.strip())
        if text:
            sections.append(Section(text=text))
    return sections
