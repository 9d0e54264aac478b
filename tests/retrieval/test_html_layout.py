"""How generated HTML manuals lay out their text: a definition list's term heads its description (the
sentence that describes an option also names it), and a table that lays out questions and answers
reads as paragraphs, not as table rows."""
from __future__ import annotations

from retrieval.config import Limits
from retrieval.parsers.html import parse_html

_PAGE = """<html><head><title>Error options</title></head><body><div class="sect1">
<h2>Error-related options</h2>
<p>These options are used by all tools that can report errors, such as the memory checker.</p>
<div class="variablelist"><dl class="variablelist">
<dt><span class="term"><code class="option">--error-exitcode=&lt;number&gt; [default: 0] </code></span></dt>
<dd><p>Specifies an alternative exit code to return if errors were reported in the run.
When set to the default value (zero), the return value is that of the program being run.</p></dd>
<dt><span class="term"><code class="option">-s</code>, </span></dt>
<dt><span class="term"><code class="option">--show-error-list=no|yes</code></span></dt>
<dd><p>Shows the list of detected errors and the suppressions used at exit.</p></dd>
</dl></div>
<h2>Questions</h2>
<dl>
<dt>How do I make the checker quieter when nothing is wrong?</dt>
<dd><p>Pass the quiet option and only errors are printed to the terminal.</p></dd>
<dt>Contents</dt>
<dd><dl><dt>1. Background</dt><dd>Why the checker exists and what it looks for.</dd></dl></dd>
</dl>
</div></body></html>"""


def _text() -> str:
    return "\n".join(s.text for s in parse_html(_PAGE.encode(), "x", Limits())[1])


def test_an_options_term_heads_its_description() -> None:
    text = _text()
    assert "`--error-exitcode=<number> [default: 0]`: Specifies an alternative exit code" in text
    assert "`-s`, `--show-error-list=no|yes`: Shows the list of detected errors" in text


def test_a_question_term_and_a_contents_tree_keep_their_own_lines() -> None:
    lines = _text().split("\n")
    assert "- How do I make the checker quieter when nothing is wrong?" in lines
    assert not any(line.startswith("- Contents:") for line in lines)


_QANDA = """<html><head><title>FAQ</title></head><body><div class="qandaset">
<table width="100%" summary="Q and A Div" border="0">
<tr class="qandadiv"><td colspan="2"><h3 class="title">4. The checker behaves unexpectedly</h3></td></tr>
<tr class="question"><td><b>4.1.</b></td>
<td><b>My program uses the C++ STL and the checker reports leaks at exit. Why?</b></td></tr>
<tr class="answer"><td></td><td><p>First of all: relax, it is probably not a bug. Many implementations of the
C++ standard library keep freed memory in their own pools for later re-use.</p>
<p>With a recent compiler, set GLIBCXX_FORCE_NEW before running the program.</p></td></tr>
</table>
<h3>Sizes</h3>
<table><tr><th>Tool</th><th>Slowdown</th></tr><tr><td>Memcheck</td><td>10 to 50 times</td></tr></table>
</div></body></html>"""


def test_a_question_and_answer_table_reads_as_paragraphs_and_a_data_table_stays_one() -> None:
    sections = parse_html(_QANDA.encode(), "x", Limits())[1]
    text = "\n".join(s.text for s in sections)
    assert "4. The checker behaves unexpectedly" in [s.heading for s in sections]
    assert "\nMy program uses the C++ STL and the checker reports leaks at exit. Why?\n" in text
    assert "\nFirst of all: relax, it is probably not a bug." in text
    assert "| |" not in text and "|  |" not in text
    assert "| Memcheck | 10 to 50 times |" in text
