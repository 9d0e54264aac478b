from __future__ import annotations

import pytest

from retrieval.chunking import chunk, split_sentences
from retrieval.types import LoadedDocument, Section


def words(text: str) -> int:
    return len(text.split())


def sentences(n: int, prefix: str = "s") -> str:
    return " ".join(f"{prefix}{i} alpha beta gamma delta." for i in range(n))  # 5 words each


def doc(*sections: Section) -> LoadedDocument:
    return LoadedDocument(source="mem", title="T", sections=list(sections))


def test_short_paragraphs_are_packed_together() -> None:
    text = "\n\n".join(f"Paragraph {i} is short." for i in range(6))  # 4 words each
    drafts = chunk(doc(Section(text)), max_tokens=12, overlap_tokens=0, count_tokens=words)
    assert [d.text.count("Paragraph") for d in drafts] == [3, 3]
    assert all(words(d.text) <= 12 for d in drafts)
    assert "\n\n" in drafts[0].text  # paragraph breaks survive packing


def test_budget_respected_with_real_tokenizer(embedder) -> None:
    text = "\n\n".join(sentences(30, f"p{j}-") for j in range(4))
    drafts = chunk(doc(Section(text)), max_tokens=60, overlap_tokens=15, count_tokens=embedder.count_tokens)
    assert len(drafts) > 4
    assert max(embedder.count_tokens(d.text) for d in drafts) <= 60


def test_never_crosses_pages_or_headings() -> None:
    drafts = chunk(
        doc(Section("Alpha page.", page=1), Section("Beta page.", page=2), Section("Gamma.", heading="H")),
        max_tokens=100, overlap_tokens=10, count_tokens=words,
    )
    assert [(d.text, d.page, d.heading, d.ord) for d in drafts] == [
        ("Alpha page.", 1, None, 0), ("Beta page.", 2, None, 1), ("Gamma.", None, "H", 2)]


def test_long_paragraph_split_at_sentences_with_overlap() -> None:
    drafts = chunk(doc(Section(sentences(10), heading="Intro")), max_tokens=20, overlap_tokens=5, count_tokens=words)
    assert all(words(d.text) <= 20 for d in drafts)
    assert all(d.heading == "Intro" for d in drafts)
    for d in drafts:  # every chunk is whole sentences
        assert d.text.endswith(".") and d.text.split()[0].startswith("s")
    for before, after in zip(drafts, drafts[1:]):  # the last sentence is repeated
        last = split_sentences(before.text)[-1]
        assert split_sentences(after.text)[0] == last
    joined = " ".join(d.text for d in drafts)
    assert all(f"s{i} " in joined for i in range(10))


def test_no_overlap_when_zero() -> None:
    drafts = chunk(doc(Section(sentences(8))), max_tokens=10, overlap_tokens=0, count_tokens=words)
    assert [d.text.split()[0] for d in drafts] == ["s0", "s2", "s4", "s6"]


def test_giant_sentence_cut_at_words() -> None:
    drafts = chunk(doc(Section("word " * 95)), max_tokens=30, overlap_tokens=0, count_tokens=words)
    assert [words(d.text) for d in drafts] == [30, 30, 30, 5]


def test_bad_budget() -> None:
    with pytest.raises(ValueError):
        chunk(doc(Section("x")), max_tokens=10, overlap_tokens=10, count_tokens=words)


def test_sentence_units_merge_short_sentences() -> None:
    from retrieval.chunking import sentence_units

    text = "Yes. Refunds take five working days to arrive. Contact us.\nOpening hours are nine to five on weekdays."
    assert sentence_units(text) == [
        "Yes. Refunds take five working days to arrive.",
        "Contact us. Opening hours are nine to five on weekdays.",
    ]
    assert sentence_units("One single sentence of several words here.") == []  # the chunk vector is enough
    assert sentence_units("Short. Tiny.") == []
    many = " ".join(f"Sentence number {i} has six words." for i in range(20))
    units = sentence_units(many, max_units=5)
    assert len(units) == 5 and units[-1].endswith("number 19 has six words.")


def test_a_long_list_is_cut_between_items_each_with_its_term() -> None:
    """A man page's OPTIONS list (one paragraph, term and definition on their own lines): a chunk
    never ends on a term and never starts inside a definition."""
    items = [(f"- --option-{i}", f"- Option {i} does thing {i} quickly. It then stops at step {i}. "
                                 f"Nothing else happens here.") for i in range(8)]
    text = "\n".join(f"{term}\n{definition}" for term, definition in items)  # 18 words an item
    drafts = chunk(doc(Section(text)), max_tokens=40, overlap_tokens=0, count_tokens=words)
    assert len(drafts) >= 4
    for d in drafts:
        assert d.text.startswith("- --option-"), d.text[:40]
        assert not d.text.rstrip().endswith(tuple(term for term, _ in items)), d.text[-40:]
    assert sum(d.text.count("- --option-") for d in drafts) == 8


def test_an_faq_question_stays_with_its_answer() -> None:
    lines = []
    for i in range(6):
        lines += [f"- How do I do task number {i} today?", f"- Open menu {i} and press the green button twice."]
    drafts = chunk(doc(Section("\n".join(lines))), max_tokens=30, overlap_tokens=0, count_tokens=words)
    assert len(drafts) >= 3
    for d in drafts:
        assert d.text.startswith("- How do I") and d.text.rstrip().endswith("twice."), d.text


def test_a_definitions_second_paragraph_stays_in_its_item() -> None:
    items = [f"- `setting_{i}`\n- Sets limit {i} for the server.\nThe default is {i}00 rows here." for i in range(6)]
    drafts = chunk(doc(Section("\n".join(items))), max_tokens=30, overlap_tokens=0, count_tokens=words)
    assert len(drafts) >= 3
    for d in drafts:
        assert d.text.startswith("- `setting_") and d.text.rstrip().endswith("rows here."), d.text


def test_a_question_too_long_to_join_with_its_whole_answer_keeps_its_first_sentence() -> None:
    answer = "- Use the username in the URL. " + " ".join(f"Step {i} adds detail here." for i in range(12))
    text = "\n".join(["- How do I use two accounts over SSH?", "- Make one key per account.",
                      "- How do I use two accounts over HTTP?", answer])
    drafts = chunk(doc(Section(text)), max_tokens=30, overlap_tokens=0, count_tokens=words)
    assert any("over HTTP? - Use the username in the URL." in d.text for d in drafts), [d.text for d in drafts]
    assert not any(d.text.rstrip().endswith("over HTTP?") for d in drafts)


_CODE = "\n".join(f"import './module{i}.js'; // loaded as an ES module" for i in range(12))
CODE_PAGE = (f"The type field applies to imports:\n```\n{_CODE}\n```\nFiles ending with .mjs are always ES modules.\n"
             "Unreachable entries are kept for\n30 days by default.")


def test_a_long_paragraphs_lines_stay_lines_and_a_cut_code_block_is_closed_and_reopened() -> None:
    """A code block longer than a chunk: its lines were joined by spaces ("``` Files ending …"), and
    the chunk that began inside it opened with its closing fence, so a reader took code for prose."""
    drafts = chunk(doc(Section(CODE_PAGE)), max_tokens=40, overlap_tokens=0, count_tokens=words)
    assert len(drafts) >= 3
    for d in drafts:
        lines = d.text.split("\n")
        assert sum(line.startswith("```") for line in lines) % 2 == 0  # every block it opens, it closes
        assert all(line.count("import") <= 1 for line in lines)  # one code line per line
    closing = next(d.text.split("\n") for d in drafts if "Files ending" in d.text)
    assert closing[-1] == "Files ending with .mjs are always ES modules." and closing[-3].startswith("import")
    # a wrapped line of prose is joined to the line before it
    assert any("Unreachable entries are kept for 30 days by default." in d.text for d in drafts)
    assert drafts[1].text.startswith("```\nimport")


def test_a_chunk_that_starts_inside_a_code_block_with_the_overlap_opens_its_fence() -> None:
    """The overlap carried into the next chunk is a copy of the last lines, which had lost whether
    they lay in code: a chunk began with code lines and its closing fence, and the prose after it
    read as code ("`os.cpus().length` should not be used …" cut into one sentence per line)."""
    drafts = chunk(doc(Section(CODE_PAGE)), max_tokens=40, overlap_tokens=10, count_tokens=words)
    assert len(drafts) >= 3
    for d in drafts:
        inside = False
        for line in d.text.split("\n"):
            if line.startswith("```"):
                inside = not inside
            else:
                assert inside == line.startswith("import"), d.text  # code only inside fences, prose outside
        assert not inside, d.text


def test_the_overlap_never_joins_a_code_block_and_its_prose_into_one_line() -> None:
    """A paragraph holding a code block and a sentence after it was carried over as its "last
    sentences" joined by spaces: "exit(1); ``` The shell …", a fence in mid-line."""
    text = ("Set the code and end the program like this, as shown below:\n```\nprocess.exit(1);\n```\n"
            "The shell sees code one.\n\n" + " ".join(f"Word{i} of a paragraph about exit codes." for i in range(2)))
    drafts = chunk(doc(Section(text)), max_tokens=30, overlap_tokens=10, count_tokens=words)
    assert len(drafts) >= 2
    assert all("```" not in line[3:] for d in drafts for line in d.text.split("\n")), [d.text for d in drafts]
