from __future__ import annotations

import pytest

from model.base import GenerationParams, Passage, Prompt
from model.extractive import ExtractiveGenerator, lexical_scores
from model.factory import build_generator
from model.textutil import split_sentences, strip_citations

PASSAGES = [
    Passage(1, "Shipping", "Orders ship from our warehouse in Lyon. Shipping takes two business days in France."),
    Passage(2, "Refund policy", "We love our customers. Refunds are issued within 14 days of purchase. "
                                "Digital items cannot be refunded once downloaded."),
    Passage(3, "Opening hours", "The shop opens at 9 a.m. and closes at 6 p.m. on weekdays."),
]


async def test_picks_answering_sentence_and_cites_it():
    gen = await ExtractiveGenerator().generate(Prompt("How quickly are refunds issued?", PASSAGES))
    assert "Refunds are issued within 14 days of purchase. [2]" in gen.text
    assert "Lyon" not in gen.text and "love" not in gen.text
    assert gen.cited[0] == 2 and gen.backend == "extractive" and gen.logprobs == []


async def test_no_passages_is_dont_know():
    gen = await ExtractiveGenerator().generate(Prompt("How quickly are refunds issued?", []))
    assert "don't know" in gen.text and gen.cited == ()


async def test_unrelated_passages_are_dont_know():
    gen = await ExtractiveGenerator().generate(Prompt("Who painted the Mona Lisa?", PASSAGES))
    assert "don't know" in gen.text and gen.cited == ()


async def test_injected_similarity_is_used():
    def sim(query: str, texts: list[str]) -> list[float]:
        return [0.9 if "warehouse" in t else 0.1 for t in texts]

    gen = await ExtractiveGenerator(similarity=sim).generate(Prompt("anything", PASSAGES))
    assert gen.text == "Orders ship from our warehouse in Lyon. [1]" and gen.cited == (1,)


async def test_several_sentences_in_reading_order():
    def sim(query: str, texts: list[str]) -> list[float]:
        return [0.8 if ("Digital" in t or "Shipping takes" in t) else 0.1 for t in texts]

    gen = await ExtractiveGenerator(similarity=sim).generate(Prompt("q", PASSAGES))
    assert gen.text.index("Shipping takes") < gen.text.index("Digital")
    assert gen.cited == (1, 2)


async def test_stream_and_deterministic():
    ext = build_generator("extractive")
    prompt = Prompt("When do refunds happen?", PASSAGES)
    whole = await ext.generate(prompt)
    chunks = [t.text async for t in ext.stream(prompt)]
    assert len(chunks) > 3 and "".join(chunks) == whole.text
    assert [g.text for g in await ext.generate_n(prompt, GenerationParams(n=3))] == [whole.text]  # no runner-up
    both = Prompt("When do refunds and shipping happen?", PASSAGES)
    first, second = await ext.generate_n(both, GenerationParams(n=2))
    assert first.text == (await ext.generate(both)).text
    assert strip_citations(second.text) not in first.text  # a runner-up says something else


@pytest.mark.slow
async def test_with_real_embedder(similarity):
    gen = await ExtractiveGenerator(similarity=similarity).generate(Prompt("When does the store close?", PASSAGES))
    assert gen.cited[0] == 3 and "6 p.m." in gen.text


def test_sentence_split_keeps_abbreviations():
    assert split_sentences("Use e.g. this. Then that! And 3 more?") == ["Use e.g. this.", "Then that!", "And 3 more?"]


def test_lexical_scores_bounded():
    scores = lexical_scores("refunds issued", ["Refunds are issued.", "Nothing here.", ""])
    assert all(0.0 <= s <= 1.0 for s in scores) and scores[0] > scores[1] == 0.0


def test_table_rows_become_self_contained_sentences() -> None:
    from model.textutil import split_sentences

    text = ("Costs below.\n\n| Region | Carrier | Time |\n|---|---|---|\n"
            "| Netherlands | PostNL | 1 to 2 days |\n| United Kingdom | DPD | 3 to 6 days |\nAfter the table.")
    assert split_sentences(text) == [
        "Costs below.", "Region: Netherlands; Carrier: PostNL; Time: 1 to 2 days.",
        "Region: United Kingdom; Carrier: DPD; Time: 3 to 6 days.", "After the table.",
    ]


def test_headings_are_never_answers() -> None:
    from model.extractive import looks_like_heading

    assert looks_like_heading("SIGNING IN AND PASSWORD RESET")
    assert looks_like_heading("## Warranty periods")
    assert looks_like_heading("Warranty periods")
    assert not looks_like_heading("Click Forgot password on the sign-in page.")
    assert not looks_like_heading("Returns take 5 days.")


def test_faq_question_is_answered_by_what_follows_it() -> None:
    from model.base import Passage, Prompt
    from model.extractive import ExtractiveGenerator

    faq = ("ACCOUNTS\n\nQ: I forgot my password. How do I reset it?\nA: Choose Forgot password on the "
           "sign-in page. We email a reset link valid for 30 minutes.\n\nQ: Can I change my email?\n"
           "A: Yes, under Settings.")
    gen = ExtractiveGenerator().answer(Prompt("How do I reset my password?", [Passage(1, "FAQ", faq)]))
    assert "Choose Forgot password" in gen.text and "reset link" in gen.text
    assert "Q:" not in gen.text and "ACCOUNTS" not in gen.text and "Settings" not in gen.text


def test_the_next_sentence_completes_an_answer_with_the_asked_for_fact() -> None:
    text = ("gc.auto: When there are more than this many loose objects, gc packs them. "
            "The default value is 6700. Other settings change other things entirely.")
    gen = ExtractiveGenerator().answer(Prompt("How many loose objects make gc pack them?", [Passage(1, "gc", text)]))
    assert "6700" in gen.text and "Other settings" not in gen.text


def test_a_sentence_holding_the_asked_for_kind_is_preferred() -> None:
    passages = [Passage(1, "a", "The compression level can be chosen for zip archives by users."),
                Passage(2, "b", "Zip archives use compression level 6 unless told otherwise.")]
    gen = ExtractiveGenerator().answer(Prompt("What compression level do zip archives use?", passages))
    assert gen.text.startswith("Zip archives use compression level 6")


def test_an_faq_title_stated_as_a_sentence_is_answered_by_what_follows() -> None:
    faq = "I made a mistake in the last commit. Run git commit --amend to fix it. Then push again."
    gen = ExtractiveGenerator().answer(Prompt("How do I fix a mistake in my last commit?", [Passage(1, "FAQ", faq)]))
    assert "--amend" in gen.text and not gen.text.startswith("I made")


def test_the_default_a_question_asks_for_is_found_a_few_sentences_on() -> None:
    text = ("--cleanup=<mode>: This option sets how the message is cleaned up. The mode can be verbatim, "
            "whitespace or strip. The strip mode is the default. Other text follows here.")
    gen = ExtractiveGenerator().answer(Prompt("Which cleanup mode is used by default?", [Passage(1, "tag", text)]))
    assert "strip mode is the default" in gen.text


def test_a_first_person_faq_title_is_answered_by_what_follows() -> None:
    faq = "I asked Git to ignore files, yet they are still tracked. Use git rm --cached to untrack them."
    gen = ExtractiveGenerator().answer(Prompt("Ignored files are still tracked, what now?", [Passage(1, "FAQ", faq)]))
    assert gen.text.startswith("Use git rm --cached")


def test_a_sentence_introducing_a_list_is_answered_with_its_items() -> None:
    text = ("Refund times depend on the payment method:\n  - PayPal: within 24 hours;\n"
            "  - Cards: 3 to 10 working days;\n\nOther news follows here today.")
    gen = ExtractiveGenerator().answer(Prompt("How long do refunds take for each payment method?",
                                              [Passage(1, "Refunds", text)]))
    assert "PayPal: within 24 hours. [1]" in gen.text and "Cards: 3 to 10 working days. [1]" in gen.text


def test_a_cross_reference_is_not_the_answer_and_a_where_question_wants_the_path() -> None:
    passages = [
        Passage(1, "init.templateDir", 'Specify the directory templates are copied from. '
                                       '(See the "TEMPLATE DIRECTORY" section of git-init.)'),
        Passage(2, "TEMPLATE DIRECTORY", "The template directory is the argument of the --template option, "
                                         "or else the default template directory: `/usr/share/git-core/templates`."),
    ]
    gen = ExtractiveGenerator().answer(Prompt("Where is the default template directory for git init?", passages))
    assert "/usr/share/git-core/templates" in gen.text
    assert not gen.text.startswith("(See")


def test_cosine_span_rescales_meaning_so_words_still_count() -> None:
    """An embedder whose cosines crowd near 0.9 (e5) would otherwise let words alone decide."""
    cat = "The lazy cat sleeps in a basket beside the stove in the farmhouse kitchen."
    passages = [Passage(1, "a", f"{cat} Dogs bark at the moon at night.")]
    crowded = {cat: 0.86, "Dogs bark at the moon at night.": 0.95}

    def similarity(query: str, texts: list[str]) -> list[float]:
        return [crowded[t] for t in texts]

    question = "Where does the lazy cat sleep at night?"
    plain = ExtractiveGenerator(similarity=similarity).answer(Prompt(question, passages))
    spread = ExtractiveGenerator(similarity=similarity, cosine_span=(0.8, 1.0)).answer(Prompt(question, passages))
    assert plain.text.startswith("The lazy cat")
    assert spread.text.startswith("Dogs bark")


def test_a_positive_which_option_question_is_not_answered_by_the_negative_option() -> None:
    passages = [Passage(1, "OPTIONS", "- --no-edit - With this option, git revert will not start the commit message "
                                      "editor. - --edit - With this option, git revert lets you edit the commit "
                                      "message prior to committing the revert.")]
    gen = ExtractiveGenerator().answer(Prompt("Which option makes git revert open an editor for the commit message?",
                                              passages))
    assert "--edit: With this option, git revert lets you edit" in gen.text


def test_a_question_asking_for_the_negative_option_gets_it() -> None:
    passages = [Passage(1, "OPTIONS", "- --no-edit - With this option, git revert will not start the commit message "
                                      "editor. - --edit - With this option, git revert lets you edit the commit "
                                      "message prior to committing the revert.")]
    gen = ExtractiveGenerator().answer(Prompt("Which option stops git revert from opening the commit message editor?",
                                              passages))
    assert gen.text.startswith("--no-edit")


def test_a_two_part_question_gets_a_sentence_for_each_part() -> None:
    text = ("Remove a service but keep its settings: run svc --remove web. "
            "Remove a service and its settings: run svc --wipe web. "
            "Services start at boot unless disabled.")
    gen = ExtractiveGenerator().answer(Prompt(
        "Does svc --remove also delete a service's settings? If not, what should I run instead?",
        [Passage(1, "svc", text)]))
    assert "--remove web" in gen.text and "--wipe web" in gen.text and "boot" not in gen.text


def test_a_sentence_adding_the_asked_for_people_is_an_answer_not_a_restated_question() -> None:
    text = ("Only the project owner, the group owner and an administrator can delete a project. "
            "Deleted projects go to the bin for a week.")
    gen = ExtractiveGenerator().answer(Prompt("Besides an administrator, who can delete a project?",
                                              [Passage(1, "projects", text)]))
    assert gen.text.startswith("Only the project owner, the group owner")


async def test_an_faq_title_whose_answer_is_in_another_passage_is_skipped():
    passages = [
        Passage(1, "FAQ", "Amend the last commit with git commit --amend. "
                          "I've made a change with a bug and it's been included in the main branch."),
        Passage(2, "FAQ", "I've made a change with a bug and it's been included in the main branch. "
                          "How should I undo it? The usual way to deal with this is to use git revert."),
    ]
    gen = await ExtractiveGenerator().generate(
        Prompt("A change with a bug made it into the main branch; what is the usual way to undo it?", passages))
    assert gen.text.startswith("The usual way to deal with this is to use git revert. [2]"), gen.text
    assert "I've made" not in gen.text


async def test_after_a_described_situation_the_question_itself_decides():
    passage = Passage(1, "gitignore", "A gitignore file ensures that files which are not tracked remain untracked. "
                                      "Files tracked before they were listed in gitignore are still tracked by Git. "
                                      "To untrack them, use git rm --cached.")
    gen = await ExtractiveGenerator().generate(
        Prompt("Files listed in gitignore are still tracked by Git. How do I untrack them?", [passage]))
    assert "git rm --cached" in gen.text


async def test_a_missing_thing_in_the_question_matches_the_sentence_about_its_absence():
    passages = [
        Passage(1, "Return values", "The return statement ends the function and sends a value back to the caller. "
                                    "A function can return any object, including a tuple."),
        Passage(2, "Functions", "Define a function with def. A function without a return statement returns None."),
    ]
    gen = await ExtractiveGenerator().generate(
        Prompt("What does a Python function return if it has no return statement?", passages))
    assert gen.text == "A function without a return statement returns None. [2]", gen.text


@pytest.mark.parametrize("question, passage, answer", [
    # shares most of the question's words, as an FAQ's own title would, yet it is the answer
    ("What happens when I cherry-pick a commit with an empty message, by default?",
     "By default, cherry-picking a commit with an empty message will fail. This option overrides that behaviour.",
     "By default, cherry-picking a commit with an empty message will fail. [1]"),
    # the first part's sentence already gives the duration the second part asks for: no neighbouring row
    ("Which carrier delivers to the United Kingdom, and how long does delivery take?",
     "Region: Rest of the European Union; Carrier: DHL; Delivery time: 2 to 5 working days. "
     "Region: United Kingdom; Carrier: DPD; Delivery time: 3 to 6 working days.",
     "Region: United Kingdom; Carrier: DPD; Delivery time: 3 to 6 working days. [1]"),
])
async def test_one_passage_answers(question: str, passage: str, answer: str):
    gen = await ExtractiveGenerator().generate(Prompt(question, [Passage(1, "doc", passage)]))
    assert gen.text == answer


async def test_a_one_letter_option_leads_to_the_sentence_that_holds_it():
    """"What does -s do?" has no content word; the sentence naming -s is the answer."""
    def sim(query: str, texts: list[str]) -> list[float]:
        return [0.5 for _ in texts]  # meaning alone cannot tell them apart

    passages = [Passage(1, "Options", "- Valgrind keeps track of everything your program does, all the time.\n"
                                      "- `-s`: Specifying -s is equivalent to --show-error-list=yes.\n"
                                      "- `--quiet`: Runs silently and prints only errors.")]
    gen = await ExtractiveGenerator(similarity=sim).generate(Prompt("What does -s do?", passages))
    assert gen.text.startswith("`-s`: Specifying -s is equivalent to --show-error-list=yes.")


async def test_a_sentence_between_two_chosen_ones_is_read_with_them():
    """The third sentence ("this will be true") refers to what the second says."""
    def sim(query: str, texts: list[str]) -> list[float]:
        return [0.8 if "directly" in t else 1.0 if "foo.js" in t else 0.2 for t in texts]

    passages = [Passage(1, "Accessing the main module", "When a file is run directly from Node.js, require.main is "
                        "set to its module. That means that it is possible to tell by testing require.main === module. "
                        "For a file foo.js, this will be true if run via node foo.js, but false if run by require.")]
    gen = await ExtractiveGenerator(similarity=sim).generate(Prompt("Is it run directly or by require?", passages))
    assert "That means that it is possible to tell by testing require.main === module. [1] For a file" in gen.text


def test_a_list_items_bullet_is_no_part_of_what_is_scored():
    """"- A function without a return statement returns None." reads as the sentence it bullets."""
    seen: list[str] = []

    def sim(query: str, texts: list[str]) -> list[float]:
        seen.extend(texts)
        return [0.8 for _ in texts]

    passages = [Passage(1, "Summary", "- A function without a return statement returns None.\n"
                                      "- **Default values** are evaluated once, at definition time.")]
    ExtractiveGenerator(similarity=sim).rank("What does a function without return give back?", passages)
    assert seen == ["A function without a return statement returns None.",
                    "Default values are evaluated once, at definition time."]
