"""The pure metrics of `ragcord eval`: gold phrases, judging, rates, calibration."""
from __future__ import annotations

import pytest

from bot.services.evaluation.metrics import (
    expected_calibration_error,
    has_gold,
    normalize_phrase,
    reliability_bins,
)
from bot.services.evaluation.realdocs import RealQuestion, judge, summarize

Q = RealQuestion("q1", "How long are entries kept?", ("90 days",), "reflog.html", True)
OOS = RealQuestion("x1", "What is the capital of Australia?", (), None, False)


def test_gold_phrases_ignore_case_whitespace_markup_and_citations() -> None:
    assert normalize_phrase("  The *Default*\n is `90   Days`  ") == "the default is 90 days"
    assert has_gold("Entries are kept for 90\n DAYS [1].", ["90 days"])
    assert has_gold("Use `gc.pruneExpire`[2]", ["gc.pruneExpire"])
    assert has_gold("It doesn't provide a way.", ["doesn\u2019t provide a way"])
    assert not has_gold("Entries are kept for 30 days.", ["90 days"])
    assert not has_gold("anything", [""])


def test_a_number_with_or_without_thousands_separators_states_the_same_fact() -> None:
    assert has_gold("After 1000 different errors have been detected, it ignores any more.", ["1,000 different"])
    assert has_gold("It stops after 10,000,000 errors in total.", ["10000000"])
    assert not has_gold("It stops after 100 different errors.", ["1,000 different"])
    assert normalize_phrase("options 1,2,3 and 1,5") == "options 1,2,3 and 1,5"


def test_reliability_bins_put_each_confidence_in_one_equal_width_bin() -> None:
    bins = reliability_bins([0.05, 0.95, 1.0, 0.5], [False, True, True, False])
    assert len(bins) == 10 and [b.count for b in bins] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert bins[9].confidence == pytest.approx(0.975) and bins[9].accuracy == 1.0
    assert bins[5].low == pytest.approx(0.5) and bins[5].accuracy == 0.0
    with pytest.raises(ValueError):
        reliability_bins([0.1], [])


def test_ece_is_the_count_weighted_gap_between_accuracy_and_confidence() -> None:
    assert expected_calibration_error([], []) == 0.0
    assert expected_calibration_error([1.0, 1.0], [True, True]) == pytest.approx(0.0)
    # bin 0.8–0.9: mean 0.85, accuracy 0.5 → gap 0.35 for 2 of 4; bin 0.2–0.3: 0.25 vs 0 → 0.25 for 2 of 4
    ece = expected_calibration_error([0.8, 0.9 - 1e-9, 0.2, 0.3 - 1e-9], [True, False, False, False])
    assert ece == pytest.approx(0.5 * 0.35 + 0.5 * 0.25)


def test_judge_needs_the_phrase_the_citation_and_no_refusal() -> None:
    assert judge(Q, "Kept for 90 days [1].", False, 0.9, ["reflog.html"]).correct
    no_cite = judge(Q, "Kept for 90 days.", False, 0.9, ["gc.html"])
    assert no_cite.states_gold and not no_cite.correct
    refused = judge(Q, "I don't know; 90 days maybe", True, 0.3, ["reflog.html"])
    assert not refused.states_gold and not refused.correct
    assert not judge(OOS, "Canberra", False, 0.9, []).correct


def test_a_citation_of_another_document_stating_the_answer_counts_when_the_set_names_it() -> None:
    both = RealQuestion("q2", "How long are entries kept?", ("90 days",), "reflog.html", True, also=("gc.html",))
    assert both.docs == ("reflog.html", "gc.html")
    assert judge(both, "Kept for 90 days [1].", False, 0.9, ["gc.html"]).correct
    assert not judge(both, "Kept for 90 days [1].", False, 0.9, ["tag.html"]).correct


def test_summarize_counts_every_outcome() -> None:
    results = [
        judge(Q, "90 days [1]", False, 0.95, ["reflog.html"]),  # correct with citation
        judge(Q, "90 days", False, 0.8, ["other.html"]),  # right phrase, wrong citation, confident
        judge(Q, "I don't know", True, 0.2, []),  # refused when answerable
        judge(Q, "30 days [1]", False, 0.7, ["reflog.html"]),  # wrong and confident
        judge(OOS, "I don't know", True, 0.1, []),  # out of scope, refused
        judge(OOS, "Sydney", False, 0.5, ["other.html"]),  # out of scope, answered below threshold
    ]
    report = summarize("t", results, threshold=0.65)
    assert (report.questions, report.answerable, report.out_of_scope) == (6, 4, 2)
    assert report.rates == {
        "correct_with_citation": 0.25, "correct_without_citation": 0.25, "refused_when_answerable": 0.25,
        "out_of_scope_refused": 0.5, "wrong_and_confident": 0.5, "answered": round(4 / 6, 4),
        "wrong_without_warning": 0.5, "tentative": 0.0,
    }
    warned = summarize("t", [*results[:3], judge(Q, "30 days [1]", False, 0.5, ["reflog.html"], tentative=True)], 0.4)
    assert warned.rates["wrong_without_warning"] == 0.25 and warned.rates["tentative"] == round(1 / 3, 4)
    shown = [0.95, 0.8, 0.7, 0.5]
    assert report.ece == pytest.approx(expected_calibration_error(shown, [True, False, False, False]), abs=1e-4)
    assert sum(b.count for b in report.calibration) == 4
    assert set(report.as_json()) >= {"correct_with_citation", "wrong_and_confident", "ece", "threshold"}
    assert "| correct_with_citation | 0.250 |" in report.markdown()
