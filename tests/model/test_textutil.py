import threading

import pytest

from model.textutil import (
    STOPWORDS,
    content_terms,
    content_words,
    split_sentences,
    stem,
    stem_words,
    strip_citations,
    terms_held,
    truncate,
    words,
)


def test_words_keep_inner_apostrophes_and_unicode() -> None:
    assert words("Don’t panic: café_au_lait 3.5") == ["don't", "panic", "café", "au", "lait", "3", "5"]


def test_one_stop_word_list_covers_both_former_lists() -> None:
    assert {"the", "his", "her", "yes", "off", "please", "tell", "got"} <= STOPWORDS


@pytest.mark.parametrize("text, expected", [
    ("Use e.g. this. Then that! And 3 more?", ["Use e.g. this.", "Then that!", "And 3 more?"]),
    ("Ask Dr. Smith. He knows.", ["Ask Dr. Smith.", "He knows."]),
    ("Prices vs. costs etc. Are different.", ["Prices vs. costs etc. Are different."]),
    ("Version 3.5 is out. It works.", ["Version 3.5 is out.", "It works."]),
    ('He said "stop." Then left.', ['He said "stop."', "Then left."]),
    ("Wait… Then go.", ["Wait…", "Then go."]),
])
def test_sentence_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_soft_line_breaks_join_but_blocks_do_not() -> None:
    text = "## Returns\nItems can be returned\nwithin 30 days.\n- one item\n- two items\n\nNext paragraph"
    assert split_sentences(text) == [
        "## Returns", "Items can be returned within 30 days.", "- one item", "- two items", "Next paragraph",
    ]


def test_a_comment_wrapped_over_lines_of_code_is_one_sentence_and_code_lines_stay_apart() -> None:
    text = ("Example:\n```\n// my-app.js, treated as an ES module because there is a package.json\n"
            "// file in the same folder.\nimport './startup/init.js';\n# not a comment here\n# nor here\n```")
    assert split_sentences(text) == [
        "Example:", "// my-app.js, treated as an ES module because there is a package.json file in the same folder.",
        "import './startup/init.js';", "# not a comment here", "# nor here",
    ]


def test_split_drops_pieces_without_letters_or_digits() -> None:
    assert split_sentences("Fine.\n\n---\n\n…") == ["Fine."]


@pytest.mark.parametrize("text, expected", [
    ("Ships in 3 days [1].", "Ships in 3 days."),
    ("Ships in 3 days [1, 2].", "Ships in 3 days."),
    ("Ships in 3 days [1][2].", "Ships in 3 days."),
    ("Ships [1,2] [3] fast.", "Ships fast."),
    ("Founded in [2024].", "Founded in [2024]."),
    ("A list [a] stays.", "A list [a] stays."),
])
def test_strip_citations(text: str, expected: str) -> None:
    assert strip_citations(text) == expected


def test_stemming_is_snowball_via_pystemmer() -> None:
    import Stemmer

    snowball = Stemmer.Stemmer("english")
    sample = ["refunds", "refunded", "shipping", "generously", "happiness", "countries"]
    assert stem_words(sample) == snowball.stemWords(sample)
    assert stem("Refunds") == "refund"


def test_stemmer_per_thread() -> None:
    seen: list[list[str]] = []
    t = threading.Thread(target=lambda: seen.append(stem_words(["refunding", "days"])))
    t.start()
    t.join()
    assert seen == [["refund", "day"]]


def test_content_terms_drop_stop_words_and_single_letters_but_keep_digits() -> None:
    assert content_terms("The refunds are issued in 3 days, x") == ["refund", "issu", "3", "day"]


def test_two_terms_a_text_writes_as_one_word_are_held_by_it() -> None:
    """"libuv's thread pool" against "libuv's threadpool": the question's words looked absent."""
    assert terms_held(("libuv", "thread", "pool", "size"), "Set the size of libuv's threadpool.") == dict.fromkeys(
        ("libuv", "thread", "pool", "size"), 1.0)
    assert terms_held(("file", "system"), "It skips other filesystems.") == {"file": 1.0, "system": 1.0}
    assert terms_held(("pool", "thread"), "the threadpool") == {}  # in the other order it is not that word


def test_a_contracted_stop_word_is_a_stop_word_and_a_possessive_keeps_its_name() -> None:
    """"What's" had been the content term "what", and "doesn't" a term no passage saying "does not"
    holds, so such questions looked less covered than the same ones spelt out."""
    assert content_terms("What's the easiest way? Why doesn't it work? We've tried, you're right") == (
        content_terms("What is the easiest way? Why does it not work? We have tried, you are right"))
    assert content_terms("git's config and mkdir's mode") == ["git", "config", "mkdir", "mode"]
    assert content_terms("Getting errors, doing it twice") == ["error", "twice"]  # stems of stop words too
    assert content_words("refund refunds refunded") == frozenset({"refund"})


def test_truncate_keeps_short_text_whole() -> None:
    assert truncate("  Short text.  ", 40) == "Short text."


def test_truncate_prefers_a_sentence_boundary() -> None:
    text = "One sentence here. Another sentence follows it. And a third one that is long."
    assert truncate(text, 60) == "One sentence here. Another sentence follows it."


def test_truncate_skips_an_abbreviation_as_boundary() -> None:
    assert truncate("Call Dr. Smith about refunds today please.", 30) == "Call Dr. Smith about refunds…"


def test_truncate_falls_back_to_a_word_boundary_then_a_hard_cut() -> None:
    assert truncate("alpha beta gamma delta epsilon", 20) == "alpha beta gamma…"
    assert truncate("x" * 50, 10) == "x" * 9 + "…"
    assert all(len(truncate("word " * 40, n)) <= n for n in range(1, 60))


def test_code_lines_are_never_joined_into_prose() -> None:
    text = '```python\nprint("Hello")\nx = 1\n```\nThe `print()` function writes.'
    assert split_sentences(text) == ['```python', 'print("Hello")', "x = 1", "The `print()` function writes."]


def test_flattened_definition_lists_read_as_term_and_text() -> None:
    text = "- --all - Process all reflogs. - -n - --dry-run - Do not prune. It is fast - really fast."
    assert split_sentences(text) == ["--all: Process all reflogs.", "-n, --dry-run: Do not prune.",
                                     "It is fast - really fast."]


def test_definition_list_on_separate_lines_and_markdown_escapes() -> None:
    text = "- init.defaultBranch\n- Allows overriding the default branch name.\n- --expire=\\<time>\n- Prune entries."
    assert split_sentences(text) == ["init.defaultBranch: Allows overriding the default branch name.",
                                     "--expire=<time>: Prune entries."]


def test_preambles_and_bullets_are_not_part_of_an_answer() -> None:
    from model.textutil import clean_sentence, strip_preamble

    assert strip_preamble("The answer to your question is:\n\n90 days.") == "90 days."
    assert strip_preamble("The answer lies in the config.") == "The answer lies in the config."
    assert clean_sentence("- You can return **most** items.") == "You can return most items."


def test_list_items_that_already_read_term_and_text_stay_apart() -> None:
    text = "Refunds depend on the method:\n- PayPal: within 24 hours;\n- iDEAL and Bancontact: 1 to 3 working days;"
    assert split_sentences(text) == ["Refunds depend on the method:", "- PayPal: within 24 hours;",
                                     "- iDEAL and Bancontact: 1 to 3 working days;"]


def test_chinese_sentences_and_content_words() -> None:
    from model.textutil import content_words, split_sentences, words

    text = "结巴分词支持三种模式。精确模式适合文本分析！你知道吗？“好的。”然后 Python 3 也行。"
    assert split_sentences(text) == [
        "结巴分词支持三种模式。", "精确模式适合文本分析！", "你知道吗？", "“好的。”", "然后 Python 3 也行。",
    ]
    assert content_words("结巴分词支持哪些模式？") == {"结巴", "分词", "支持", "模式"}
    assert words("用 Python 写的分词组件") == ["用", "python", "写", "的", "分词", "组件"]
    assert content_words("Refunds are processed") == {"refund", "process"}  # English as before


def test_chinese_with_latin_punctuation_and_manual_page_titles() -> None:
    from model.textutil import split_sentences

    page = "描述\n 显示一个简单的日历. 一个参数指定年份 (1 - 9999) ; 注意年份.\n\n历史\n 格式最初来自于 Debian GNU/Linux\n"
    assert split_sentences(page) == [
        "描述", "显示一个简单的日历.", "一个参数指定年份 (1 - 9999) ; 注意年份.", "历史", "格式最初来自于 Debian GNU/Linux",
    ]
    assert split_sentences("Use it. Then stop.") == ["Use it.", "Then stop."]  # English as before


def test_line_breaks_inside_chinese_text_are_soft_wraps_without_a_space() -> None:
    got = split_sentences("主机名最\n长64个字符，\n仅可由小写字母组成。\nThe quick\nbrown fox.")
    assert got == ["主机名最长64个字符，仅可由小写字母组成。", "The quick brown fox."]


def test_terms_held_finds_chinese_words_jieba_cuts_differently() -> None:
    question = content_terms("稳定版会收到哪些更新？")  # jieba: 更新 alone
    assert "更新" in question and "更新" not in content_terms("它将只会获得安全更新。")  # here: 安全更新
    assert terms_held(question, "它将只会获得安全更新。")["更新"] == 1.0
    # a compound the passage holds in part counts in part, by its character pairs
    assert terms_held(["内核模块"], "需要被预先加载的模块列在文件里") == {"内核模块": pytest.approx(1 / 3)}
    # a synonym sharing a character gets a little: 创建 against 建立 holds half its characters
    assert terms_held(["创建"], "Debian 计划于 1993 年由 Ian Murdock 建立") == {"创建": 0.25}
    # one character standing inside another word is not that word; English is matched as words
    assert terms_held(["列"], "系列文章") == {}
    assert terms_held(content_terms("which limits"), "it limited the output") == {"limit": 1.0}
