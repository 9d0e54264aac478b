from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from retrieval.config import Limits
from retrieval.errors import IngestError
from retrieval.loaders import SUPPORTED_EXTENSIONS, decode_text, iter_sources, load, split_markdown
from retrieval.parsers.html import _tidy_extracted, _unescape_markdown, parse_html
from retrieval.parsers.pdf import _clean_pdf_text

from .conftest import write_docx, write_pdf


def test_txt_utf8_and_bom(tmp_path: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("Café opening hours.\n\nMonday to Friday.", encoding="utf-8")
    doc = load(plain)
    assert doc.title == "notes"
    assert "Café" in doc.text and doc.source == str(plain.resolve())
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffHello there".encode("utf-8"))
    assert load(bom).text == "Hello there"


def test_txt_cp1252_fallback(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Price: 5 € — naïve".encode("cp1252"))
    assert "€" in load(path).text


def test_binary_txt_rejected(tmp_path: Path) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(IngestError, match="not a text file"):
        load(path)
    with pytest.raises(IngestError, match="not a text file"):
        decode_text(b"\x81\x8d\x8f\x90\x9d" * 50)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n ")
    with pytest.raises(IngestError, match="^empty document"):
        load(path)


def test_unsupported_extension_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(IngestError, match="unsupported file type") as info:
        load(path)
    for ext in SUPPORTED_EXTENSIONS:
        assert ext in str(info.value)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="^no such file"):
        load(tmp_path / "nope.md")


def test_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    with pytest.raises(IngestError, match="file too large"):
        load(path, max_bytes=100)


def test_markdown_sections_keep_headings(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "# Widget Guide\n\nIntro text.\n\n## Install\n\nRun the installer.\n\n```\n# not a heading\n```\n\n"
        "## Remove\n\nDelete the folder.\n"
    )
    doc = load(path)
    assert doc.title == "Widget Guide"
    assert [(s.heading, s.text.split("\n")[0]) for s in doc.sections] == [
        ("Widget Guide", "Intro text."),
        ("Install", "Run the installer."),
        ("Remove", "Delete the folder."),
    ]
    assert "# not a heading" in doc.sections[1].text


def test_split_markdown_without_headings() -> None:
    title, sections = split_markdown("just text\n\nmore")
    assert title is None and len(sections) == 1 and sections[0].heading is None


NAV_HTML = """<html><head><title>Returns policy</title><style>.x{color:red}</style></head><body>
<header><div>SITEBANNER Acme shop</div></header>
<nav><ul><li><a href="/">MENUHOME</a></li><li><a href="/about">MENUABOUT</a></li><li><a href="/c">MENUCONTACT</a></li></ul></nav>
<main><article><h1>Returns policy</h1>
<p>You can return any unused item within thirty days of delivery for a full refund to the original payment method.</p>
<h2>Damaged items</h2>
<p>If an item arrives damaged, send us a photo within seven days and we will replace it at no cost to you.</p>
</article></main>
<aside>SIDEBARPROMO buy more</aside>
<footer>FOOTERCOPY 2024 Acme</footer><script>var TRACKER = 1;</script></body></html>"""


def test_html_main_text_without_menus(tmp_path: Path) -> None:
    path = tmp_path / "returns.html"
    path.write_text(NAV_HTML)
    doc = load(path)
    assert doc.title == "Returns policy"
    assert "thirty days" in doc.text and "photo within seven days" in doc.text
    for junk in ("MENUHOME", "MENUABOUT", "FOOTERCOPY", "TRACKER", "SIDEBARPROMO", "SITEBANNER", "color:red"):
        assert junk not in doc.text
    assert any(s.heading == "Damaged items" for s in doc.sections)


def test_html_fallback_parser_drops_menus() -> None:
    from bs4 import BeautifulSoup

    from retrieval.parsers.html import _html_sections_bs4

    sections = _html_sections_bs4(BeautifulSoup(NAV_HTML, "html.parser"))
    text = "\n".join(s.text for s in sections)
    assert "thirty days" in text and "MENUHOME" not in text and "FOOTERCOPY" not in text
    assert [s.heading for s in sections] == ["Returns policy", "Damaged items"]


def test_pdf_pages_kept(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "manual.pdf", ["Page one talks about batteries.", "Page two covers chargers."],
                     title="Device Manual")
    doc = load(path)
    assert doc.title == "Device Manual"
    assert [(s.page, "batteries" in s.text, "chargers" in s.text) for s in doc.sections] == [
        (1, True, False), (2, False, True)]
    assert doc.mime == "application/pdf"


def test_pdf_without_text(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(IngestError, match=r"no text found \(scanned PDF\?\)"):
        load(path)


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage garbage\n")
    with pytest.raises(IngestError, match="^not a readable PDF"):
        load(path)


def test_encrypted_pdf(tmp_path: Path) -> None:
    plain = write_pdf(tmp_path / "plain.pdf", ["Secret plans for the launch."])
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt(user_password="hunter2", owner_password="owner")
    locked = tmp_path / "locked.pdf"
    with open(locked, "wb") as handle:
        writer.write(handle)
    with pytest.raises(IngestError, match="^encrypted PDF"):
        load(locked)


def _page(number: int, body: str) -> str:
    return f"ACME Widget Manual\n{body}\nACME 2024 page {number}"


def test_pdf_running_header_and_footer_dropped_from_every_page(tmp_path: Path) -> None:
    bodies = ["Batteries last a year.", "Chargers need mains power.", "Cables are sold apart.", "Cases are waterproof."]
    doc = load(write_pdf(tmp_path / "manual.pdf", [_page(n, body) for n, body in enumerate(bodies, start=1)]))
    assert [(s.page, s.text) for s in doc.sections] == list(enumerate(bodies, start=1))


def test_pdf_lines_repeated_on_too_few_pages_stay(tmp_path: Path) -> None:
    two = [_page(1, "Batteries."), _page(2, "Chargers.")]  # on every page, but only two; below on three of seven
    assert [s.text for s in load(write_pdf(tmp_path / "two.pdf", two)).sections] == two
    seven = [_page(n, "Cables.") for n in (1, 2, 3)] + [f"{w}.\nBuy {w}." for w in ("Cases", "Lids", "Bags", "Caps")]
    assert [s.text for s in load(write_pdf(tmp_path / "seven.pdf", seven)).sections] == seven


def test_pdf_words_broken_at_line_ends_are_joined(tmp_path: Path) -> None:
    text = (
        "Check the permis-\nsion bits, the ENVI-\nRONMENT list and (case-insensi-\ntive) names.\n"
        "Keep --long-\noption, a dash -\nhere, Smith-\nJones and 512-\nbyte blocks."
    )
    doc = load(write_pdf(tmp_path / "hyphens.pdf", [text]))
    assert doc.sections[0].text == (
        "Check the permission bits, the ENVIRONMENT list and (case-insensitive) names.\n"
        "Keep --long-\noption, a dash -\nhere, Smith-\nJones and 512-\nbyte blocks."
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\ufb01le \ufb02ag \ufb00 o\ufb03ce wa\ufb04e \ufb05 \ufb06", "file flag ff office waffle st st"),
        ("bash \u2212\u2212help, \u2212e, a\u2010b, c\u2011d", "bash --help, -e, a-b, c-d"),
        ("Caf\u00e9 \u00bd x\u00b2 \u2126", "Caf\u00e9 \u00bd x\u00b2 \u2126"),  # other compatibility characters stay
        # PDFium's mark for a hyphen it found at a line end: joined as any hyphenated line end
        ("includ\x02ing -o, Smith\x02Jones", "including -o, Smith-\nJones"),
        # a sentence wrapped onto the next line is one line again; a sentence end, a colon or a
        # capital (a new item, a heading) keeps the break
        ("If it is unset, or does not include\na valid value,\nall lines are saved.\nNext one.",
         "If it is unset, or does not include a valid value, all lines are saved.\nNext one."),
        ("Options are:\n-a all\nHISTORY\nThe list", "Options are:\n-a all\nHISTORY\nThe list"),
    ],
)
def test_pdf_text_spells_out_ligatures_and_plain_hyphens(raw: str, clean: str) -> None:
    assert _clean_pdf_text(raw) == clean


def test_docx_headings_and_tables(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "handbook.docx",
        [("Title", "Staff Handbook"), ("", "Welcome aboard."), ("Heading 1", "Holidays"),
         ("", "Everyone gets 25 days of paid leave."), ("Heading 2", "Sick days"), ("", "Tell your manager.")],
        table=[["Plan", "Days"], ["Basic", "25"]],
    )
    doc = load(path)
    assert doc.title == "Staff Handbook"
    by_heading = {s.heading: s.text for s in doc.sections}
    assert by_heading["Staff Handbook"] == "Welcome aboard."
    assert "25 days" in by_heading["Holidays"]
    assert "Plan | Days" in by_heading["Sick days"] and "Basic | 25" in by_heading["Sick days"]


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(IngestError, match="^not a readable DOCX"):
        load(path)


def test_unreachable_url() -> None:
    with pytest.raises(IngestError, match="^could not fetch URL"):
        load("http://127.0.0.1:9/nothing-listens-here", timeout=2, url_allowlist=["127.0.0.1"])


def test_iter_sources_expands_folders(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    for name in ("b.md", "a.txt", "sub/c.html", "_draft.md", ".hidden.txt", "image.png", ".git/x.txt"):
        (root / name).write_text("x")
    got = [Path(p).relative_to(root.resolve()).as_posix() for p in iter_sources([root])]
    assert got == ["a.txt", "b.md", "sub/c.html"]
    missing = str(tmp_path / "missing.md")
    assert iter_sources([missing, "https://example.org/x"]) == [missing, "https://example.org/x"]


@pytest.fixture()
def web(tmp_path: Path):
    """A real local HTTP server: an HTML page, a PDF, a redirect, an oversized body and a 404."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pdf_bytes = write_pdf(tmp_path / "served.pdf", ["Served PDF about lanterns."]).read_bytes()
    routes = {
        "/page": ("text/html; charset=utf-8", NAV_HTML.encode()),
        "/files/guide.pdf": ("application/pdf", pdf_bytes),
        "/notes": ("text/plain", b"Plain notes about kettles."),
        "/big": ("text/plain", b"x" * 5000),
        "/image": ("image/png", b"\x89PNG...."),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/page")
                self.end_headers()
                return
            if self.path not in routes:
                self.send_error(404)
                return
            ctype, body = routes[self.path]
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


LOCAL = ["127.0.0.1"]  # the test server is local: loopback must be allowed explicitly


def test_urls_by_content_type(web: str) -> None:
    page = load(f"{web}/moved", url_allowlist=LOCAL)  # redirects are followed; the source stays as given
    assert page.source == f"{web}/moved" and page.title == "Returns policy"
    assert "thirty days" in page.text and "MENUHOME" not in page.text
    pdf = load(f"{web}/files/guide.pdf", url_allowlist=LOCAL)
    assert pdf.sections[0].page == 1 and "lanterns" in pdf.text and pdf.mime == "application/pdf"
    assert load(f"{web}/notes", url_allowlist=LOCAL).text == "Plain notes about kettles."


def test_url_errors(web: str) -> None:
    with pytest.raises(IngestError, match="^could not fetch URL: HTTP 404"):
        load(f"{web}/missing", url_allowlist=LOCAL)
    with pytest.raises(IngestError, match="^could not fetch URL: response too large"):
        load(f"{web}/big", max_bytes=1000, url_allowlist=LOCAL)
    with pytest.raises(IngestError, match="^unsupported content type 'image/png'"):
        load(f"{web}/image", url_allowlist=LOCAL)


def test_local_urls_refused_without_the_allowlist(web: str) -> None:
    with pytest.raises(IngestError, match=r"^could not fetch URL: refused 127\.0\.0\.1: a loopback address"):
        load(f"{web}/notes")


def test_extracted_html_tidy_keeps_code() -> None:
    from retrieval.parsers.html import _tidy_extracted

    text = "Orders **placed\n        and paid** today.\n\n```\ndef f():\n    return 1\n```\n- item"
    assert _tidy_extracted(text) == "Orders placed and paid today.\n\n```\ndef f():\n    return 1\n```\n- item"


DATA = Path(__file__).parent / "data"


def test_docbook_page_keeps_its_question_headings() -> None:
    """A DocBook FAQ chapter: every entry's question stays the heading of its answer, and an inline
    command written over several lines does not swallow the rest of the page as code."""
    title, sections = parse_html((DATA / "debian-faq-uptodate.en.html").read_bytes(), "x", Limits())
    headings = [s.heading for s in sections]
    assert title.startswith("Chapter 9.")
    assert "9.2. Must I go into single user mode in order to upgrade a package?" in headings
    assert "9.6. I have several machines; how can I download the updates only one time?" in headings
    upgrade = sections[headings.index("9.2. Must I go into single user mode in order to upgrade a package?")]
    assert upgrade.text.startswith("No.")
    apt = sections[headings.index("9.1.2. apt-get and apt-cdrom")]
    assert "`apt-get clean` and `apt-get autoclean`" in apt.text
    assert "```" not in apt.text


def test_chinese_wrapped_in_the_html_source_joins_without_a_space() -> None:
    from retrieval.parsers.html import _tidy_extracted

    tidy = _tidy_extracted("主机名最\n长64个字符，\n仅可由小写字母组成。\n\nEnglish\nwrapped")
    assert tidy.split("\n\n")[0] == "主机名最长64个字符，仅可由小写字母组成。"
    assert "English\nwrapped" in tidy  # other text keeps its soft wraps for the sentence splitter


ESCAPES_HTML = r"""<html><head><title>pg_dump</title></head><body><main><h1>pg_dump</h1>
<p>pg_dump is a utility for backing up a PostgreSQL database; it makes consistent backups even while the
database is in use, and its archives are restored with pg_restore.</p>
<p>Use `foreign' quoting, a * star, [options] in brackets, 2 < 3, a ~tilde, and C:\temp\new or the \n escape.</p>
<p># is not a heading here, and neither is this paragraph about the option table below.</p>
<h2>Options for pg_dump</h2><pre>copy C:\temp\_old a_b *x* [y]</pre><pre><code>printf 'a\_b *c*\n'</code></pre>
<table><tr><th>Option</th><th>Meaning</th></tr><tr><td>-F a|b</td><td>format_name</td></tr></table>
<p>More text with snake_case_names and **literal stars** to read.</p></main></body></html>"""


def test_html_text_has_no_markdown_escapes_but_keeps_real_backslashes() -> None:
    _, sections = parse_html(ESCAPES_HTML.encode(), "x", Limits())
    assert [s.heading for s in sections] == ["pg_dump", "Options for pg_dump"]
    intro, options = (s.text for s in sections)
    assert intro.startswith("pg_dump is a utility") and "restored with pg_restore." in intro
    assert r"Use `foreign' quoting, a * star, [options] in brackets, 2 < 3, a ~tilde, and C:\temp\new or" in intro
    assert r"or the \n escape." in intro and "\n\n# is not a heading here" in intro
    assert r"copy C:\temp\_old a_b *x* [y]" in options and r"`printf 'a\_b *c*\n'`" in options
    assert "| -F a|b | format_name |" in options and "snake_case_names and **literal stars**" in options


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        ("- \\- item\n1\\. first\n> \\> quoted\n  \\## title", "- - item\n1. first\n> > quoted\n  ## title"),
        ("a\\\\\\_b, c\\\\_d and x \\- y", "a\\_b, c\\\\_d and x \\- y"),  # 2n+1 backslashes: n; an even run: none
        ("```\n\\_ kept\n```\n`\\_ kept` \\_", "```\n\\_ kept\n```\n`\\_ kept` _"),  # code is verbatim
    ],
)
def test_unescape_markdown_undoes_only_the_extractors_escapes(escaped: str, plain: str) -> None:
    assert _unescape_markdown(escaped) == plain


def test_escaped_markdown_characters_are_no_markup() -> None:
    assert _tidy_extracted(r"lacks *?*, *\**, or */\**; **bold**") == r"lacks *?*, *\**, or */\**; bold"
    assert [s.heading for s in split_markdown("# pg\\_dump, `work_mem` _now_\nbody")[1]] == ["pg_dump, work_mem now"]


DIVERT_HTML = """<html><head><title>Diversions</title></head><body><div class="section">
<h2>How do I override a file installed by a package?</h2>
<p>Suppose a local user wishes to use a program "login-local" rather than the program "login" provided by the
login package. Do not overwrite the file: the package system will simply overwrite it again on upgrade.</p>
<p>Rather, do</p><div class="itemizedlist"><ul><li><p>Execute:</p><pre>dpkg-divert --divert /bin/login.debian /bin/login</pre>
<p>so that installations of the <code>login</code><a id="idm1"></a> package write elsewhere.</p></li></ul></div>
<p>Run <code>apt-file search <em><code>foo</code></em></code> to find a file, and read the manual page for
the details of every option it takes.</p></div></body></html>"""


def test_html_list_item_with_a_named_anchor_and_nested_code_markup_kept() -> None:
    """An empty <a id> (a DocBook index term) made the list item look like a block of links, and
    markup inside inline code was lost or moved."""
    text = "\n".join(s.text for s in parse_html(DIVERT_HTML.encode(), "x", Limits())[1])
    assert "- Execute: dpkg-divert --divert /bin/login.debian /bin/login so that installations" in text
    assert "Run `apt-file search foo` to find a file" in text


def test_pdfs_read_in_many_threads_at_once(tmp_path: Path) -> None:
    """PDFium is not thread-safe: uploads parsed in worker threads at the same time all come out whole."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [write_pdf(tmp_path / f"m{i}.pdf", [f"Manual {i} page one about lamps.", f"Manual {i} page two."])
             for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        docs = list(pool.map(load, paths * 4))
    assert [d.sections[0].text for d in docs] == [f"Manual {i % 8} page one about lamps." for i in range(32)]
