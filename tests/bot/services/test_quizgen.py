from bot.services.quizgen import SourcePassage, find_facts, generate_quiz

COURSE = [
    SourcePassage(1, "Lists", "A list is an ordered, mutable collection of items. You create one with square brackets."),
    SourcePassage(2, "Tuples", "A tuple is an ordered, immutable sequence of values. Tuples use parentheses."),
    SourcePassage(3, "Dicts", "A dictionary is a mapping from unique keys to values. Keys must be hashable."),
    SourcePassage(4, "Sets", "A set is an unordered collection of unique elements."),
    SourcePassage(5, "Builtins", "The built-in `len()` returns the number of items in a container. Use `range()` to count."),
    SourcePassage(6, "Returns", "Customers may return most items within 30 days of delivery for a full refund."),
]


def test_facts_found_in_definitions_numbers_and_code() -> None:
    kinds = {f.kind for p in COURSE for f in find_facts(p)}
    assert kinds == {"definition", "number", "code"}
    (tuple_fact,) = [f for f in find_facts(COURSE[1]) if f.kind == "definition"]
    assert tuple_fact.term == "tuple" and tuple_fact.key.startswith("an ordered, immutable")


def test_every_question_is_keyed_to_its_source_sentence() -> None:
    quiz = generate_quiz(COURSE, count=6, seed=1)
    assert len(quiz) == 6
    for q in quiz:
        source = next(p for p in COURSE if p.chunk_id == q.chunk_id)
        assert q.answer.replace("`", "") in source.text.replace("`", "") or q.answer in q.explanation
        assert q.kind in ("mcq", "short")
        assert "_____" in q.question or q.question.endswith("?")
    mcqs = [q for q in quiz if q.kind == "mcq"]
    assert mcqs, [q.kind for q in quiz]
    for q in mcqs:
        assert q.answer in q.choices and len(q.choices) == 4 and len(set(q.choices)) == 4


def test_numeric_mcq_has_plausible_distractors() -> None:
    quiz = generate_quiz([COURSE[5]], count=1, kind="mcq", seed=3)
    (q,) = quiz
    assert q.answer == "30 days" and "_____" in q.question
    assert all(c.endswith("days") for c in q.choices)


def test_kind_filter_and_seed_reproducible() -> None:
    a = generate_quiz(COURSE, count=4, kind="short", seed=7)
    b = generate_quiz(COURSE, count=4, kind="short", seed=7)
    assert [q.as_dict() for q in a] == [q.as_dict() for q in b]
    assert all(q.kind == "short" for q in a)


def test_no_facts_no_questions() -> None:
    assert generate_quiz([SourcePassage(9, "x", "Hello there. Nice weather today?")], count=3) == []
