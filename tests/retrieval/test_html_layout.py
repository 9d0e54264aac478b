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


_README = """<html><head><title>README</title></head><body><div class="chapter">
<h1 class="title">5. README_MISSING_SYSCALL</h1>
<div class="literallayout"><p><br>
Dealing&#160;with&#160;missing&#160;system&#160;calls<br>
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~<br>
You're&#160;probably&#160;reading&#160;this&#160;because&#160;the&#160;checker&#160;stopped&#160;whilst<br>
running&#160;your&#160;program.&#160;&#160;All&#160;this&#160;machinery&#160;is&#160;in<br>
coregrind/m_syswrap.<br>
<br>
1.&#160;Tell&#160;a&#160;tool&#160;what&#160;is&#160;about&#160;to&#160;happen,&#160;before&#160;the&#160;call.&#160;&#160;A<br>
&#160;&#160;&#160;tool&#160;could&#160;perform&#160;checks&#160;beforehand.<br>
<br>
The&#160;wrapper&#160;for&#160;the&#160;time&#160;system&#160;call&#160;looks&#160;like&#160;this:<br>
<br>
&#160;&#160;PRE(sys_time)<br>
&#160;&#160;{<br>
&#160;&#160;&#160;&#160;&#160;PRINT("sys_time&#160;(&#160;%p&#160;)",ARG1);<br>
&#160;&#160;}<br>
</p></div>
<div class="literallayout"><p>&#160;&#160;&#160;&#160;----&#160;Print&#160;suppression&#160;?&#160;---&#160;[Return/N/n/Y/y/C/c]&#160;----<br>
</p></div>
</div></body></html>"""


def test_a_plain_text_file_in_a_literal_layout_reads_as_paragraphs_and_its_code_as_code() -> None:
    """DocBook shows a README line for line (a <br> after each, &nbsp; for spaces): every line had
    become a paragraph of its own, so no sentence was whole."""
    sections = parse_html(_README.encode(), "x", Limits())[1]
    assert "Dealing with missing system calls" in [s.heading for s in sections]  # the underlined line
    text = "\n".join(s.text for s in sections)
    assert ("You're probably reading this because the checker stopped whilst running your program. "
            "All this machinery is in coregrind/m_syswrap.") in text
    assert "1. Tell a tool what is about to happen, before the call. A tool could perform checks beforehand." in text
    assert "~~~~" not in text and "Dealing" not in text
    assert "```\n  PRE(sys_time)\n  {\n" in text  # the indented lines stay code, line for line
    assert "\xa0Print\xa0suppression\xa0?\xa0---\xa0[Return/N/n/Y/y/C/c]" in text  # one line of layout: left as it was
