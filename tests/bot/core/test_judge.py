"""The judge takes the calibration fitted for its embedder's cosines, chosen by the model name."""
from collections.abc import Sequence

import numpy as np
import pytest

from bot.core.judge import Judge
from model.calibration import DEFAULT_CALIBRATION, E5_CALIBRATION, Calibration


class Named:
    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def similarity(self, query: str, texts: Sequence[str]) -> list[float]:
        return [0.0 for _ in texts]

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), 4), dtype=np.float32)


def test_calibration_follows_the_embedder() -> None:
    assert Judge(Named("multilingual-e5-small-q4")).calibration is E5_CALIBRATION  # type: ignore[arg-type]
    assert Judge(Named("/models/all-MiniLM-L6-v2")).calibration is DEFAULT_CALIBRATION  # type: ignore[arg-type]


class Crowded(Named):
    """Cosines where multilingual-e5 puts them: 0.88 for anything."""

    def similarity(self, query: str, texts: Sequence[str]) -> list[float]:
        return [0.88 for _ in texts]


async def test_cosines_are_spread_over_the_embedders_span_before_they_are_weighed() -> None:
    from model.base import Generation, Passage
    from retrieval.types import Hit

    passages = [Passage(1, "rm", "rm 默认不删除目录。")]
    reading = Generation("rm 默认不删除目录。 [1]", backend="extractive", cited=(1,))
    hits = [Hit(chunk_id=1, document_id=1, text=passages[0].text, title="rm", source="rm.txt", dense=0.88)]
    for name, expected in (("multilingual-e5-small-q4", 0.5), ("/models/all-MiniLM-L6-v2", 0.88)):
        judge = Judge(Crowded(name))  # type: ignore[arg-type]
        evidence = judge.evidence("rm 会删除目录吗？", hits)
        judged = await judge.judge("rm 会删除目录吗？", [reading], passages, evidence)
        assert evidence == pytest.approx(expected)  # e5: (0.88 - 0.78) / (0.98 - 0.78)
        assert judged[0].signals.relevance == pytest.approx(expected)


def test_an_explicit_calibration_wins() -> None:
    mine = Calibration(bias=0.0, weights=DEFAULT_CALIBRATION.weights)
    assert Judge(Named("multilingual-e5-small-q4"), mine).calibration is mine  # type: ignore[arg-type]


async def test_a_name_no_passage_mentions_refuses_however_close_the_rest() -> None:
    """"… with Chocolatey?" over pages that never say Chocolatey: the passages do not answer it."""
    from model.base import Generation, Passage
    from retrieval.embedder import Embedder

    judge = Judge(Embedder())
    passages = [Passage(1, "Installing Git on Windows", "Download the Git for Windows installer and run it. "
                                                        "The installer adds Git Bash and Git GUI.")]
    reading = Generation("Download the Git for Windows installer and run it. [1]", backend="extractive", cited=(1,))
    asked = await judge.judge("How do I install Git on Windows with Chocolatey?", [reading], passages, 0.7)
    plain = await judge.judge("How do I install Git on Windows?", [reading], passages, 0.7)
    assert asked[0].confidence == 0.0
    assert asked[0].signals.named == 2 / 3  # git, windows found; chocolatey not
    assert plain[0].confidence > 0.3


async def test_an_option_no_passage_holds_refuses_though_its_parts_are_everywhere() -> None:
    """"the default of shared_buffers?" over a page about a BUFFERS option that shares its words."""
    from model.base import Generation, Passage
    from retrieval.embedder import Embedder

    judge = Judge(Embedder())
    passages = [Passage(1, "EXPLAIN", "BUFFERS: include information on shared buffer usage. The default is off.")]
    reading = Generation("BUFFERS: include information on shared buffer usage. [1]", backend="extractive", cited=(1,))
    asked = await judge.judge("What is the default value of shared_buffers?", [reading], passages, 0.7)
    plain = await judge.judge("What does the BUFFERS option include?", [reading], passages, 0.7)
    assert asked[0].confidence == 0.0
    assert plain[0].confidence > 0.3


async def test_a_name_the_page_title_holds_inside_a_word_counts_as_mentioned() -> None:
    """"… according to the FAQ?" over the page titled gitfaq(7): the FAQ is that page."""
    from model.base import Generation, Passage
    from retrieval.embedder import Embedder

    judge = Judge(Embedder())
    passages = [Passage(1, "gitfaq(7)", 'Use your personal name. The current maintainer of Git uses "Junio C Hamano".')]
    reading = Generation('The current maintainer of Git uses "Junio C Hamano". [1]', backend="extractive", cited=(1,))
    judged = await judge.judge("What is the maintainer of Git called, according to the FAQ?", [reading], passages, 0.7)
    assert judged[0].signals.named == 1.0 and judged[0].confidence > 0.3


async def test_a_name_in_the_scene_before_the_question_does_not_refuse_the_answer() -> None:
    """"I run valgrind in CI. Which flag …?": the pages never say CI, and the flag is still the answer."""
    from model.base import Generation, Passage
    from retrieval.embedder import Embedder

    judge = Judge(Embedder())
    passages = [Passage(1, "Error-related options", "--error-exitcode=<number>: Specifies an alternative exit "
                                                    "code to return if Valgrind reported any errors in the run.")]
    reading = Generation("--error-exitcode=<number>: Specifies an alternative exit code to return if Valgrind "
                         "reported any errors in the run. [1]", backend="extractive", cited=(1,))
    scene = await judge.judge("I run valgrind in CI. Which flag makes valgrind return a non-zero exit code?",
                              [reading], passages, 0.7)
    asked = await judge.judge("Which flag makes valgrind return a non-zero exit code in CI?", [reading], passages, 0.7)
    assert scene[0].confidence > 0.3 and scene[0].signals.named == 1.0
    assert asked[0].confidence == 0.0


async def test_a_platform_named_by_its_family_counts_as_mentioned() -> None:
    """"… on my Mac?" over a page that says macOS; "… on Linux?" over one that says POSIX."""
    from model.base import Generation, Passage
    from retrieval.embedder import Embedder

    judge = Judge(Embedder())
    passages = [Passage(1, "Errors", "EMFILE (Too many open files in system): this is met when opening many files "
                                     "at once, in particular on macOS and other POSIX systems; run ulimit -n 2048.")]
    reading = Generation(passages[0].text + " [1]", backend="extractive", cited=(1,))
    for question in ("Why do I get EMFILE when opening many files on my Mac?",
                     "Why do I get EMFILE when opening many files on Linux?"):
        judged = await judge.judge(question, [reading], passages, 0.7)
        assert judged[0].signals.named == 1.0 and judged[0].confidence > 0.3
    windows = await judge.judge("Why do I get EMFILE when opening many files on Windows?", [reading], passages, 0.7)
    assert windows[0].confidence == 0.0


async def test_a_passage_sentence_saying_no_information_is_no_abstention() -> None:
    """The manual's "… would leave Cachegrind with no information to collect" is an answer, quoted."""
    from model.base import Generation, Passage
    from retrieval.embedder import Embedder

    judge = Judge(Embedder())
    text = ("Branch simulation is off by default as it slows Cachegrind down by about 25%. You cannot turn off both "
            "simulations, as that would leave Cachegrind with no information to collect.")
    passages = [Passage(1, "Cachegrind options", text)]
    reading = Generation(text + " [1]", backend="extractive", cited=(1,))
    generated = Generation("There is no information in the passages about that. [1]", backend="local", cited=(1,))
    judged = await judge.judge("How much does branch simulation slow Cachegrind down?", [reading, generated],
                               passages, 0.7)
    assert not judged[0].support.abstained and judged[0].confidence > 0.3
    assert judged[1].support.abstained and judged[1].confidence == 0.0


async def test_a_one_letter_option_the_answer_does_not_hold_is_not_covered() -> None:
    """"What does -s do?" has no content word: coverage is whether the answer holds "-s"."""
    from model.base import Generation, Passage
    from retrieval.embedder import Embedder

    judge = Judge(Embedder())
    passages = [Passage(1, "Options", "-s: Specifying -s is equivalent to --show-error-list=yes. "
                                      "Valgrind does what it does by keeping track of everything your program does.")]
    right = Generation("-s: Specifying -s is equivalent to --show-error-list=yes. [1]", backend="extractive", cited=(1,))
    wrong = Generation("Valgrind does what it does by keeping track of everything your program does. [1]",
                       backend="extractive", cited=(1,))
    judged = await judge.judge("What does -s do?", [right, wrong], passages, 0.7)
    assert judged[0].signals.quote_coverage == 1.0
    assert judged[1].signals.quote_coverage == 0.0
    assert judged[1].confidence < judged[0].confidence


async def test_a_which_option_question_is_not_answered_by_a_sentence_naming_no_option() -> None:
    """"Which callgrind option dumps a profile every N basic blocks?" over pages that only say what
    Callgrind is: the sentence holds no option, so it answers another question."""
    from model.base import Generation, Passage
    from retrieval.embedder import Embedder

    judge = Judge(Embedder())
    passages = [Passage(1, "Introduction", "Callgrind is a call-graph generating cache profiler. "
                                           "Use `--dump-instr=yes` to dump the profile per instruction.")]
    vague = Generation("Callgrind is a call-graph generating cache profiler. [1]", backend="extractive", cited=(1,))
    named = Generation("Use `--dump-instr=yes` to dump the profile per instruction. [1]", backend="extractive", cited=(1,))
    judged = await judge.judge("Which callgrind option dumps the profile per instruction?", [vague, named], passages, 0.7)
    assert judged[0].confidence == 0.0 and judged[0].signals.fits == 0.0
    assert judged[1].confidence > 0.3


async def test_which_option_in_plain_words_is_answered_without_a_command_line_option() -> None:
    """Over a shop's pages, "which payment option" asks for a way to pay, not for a `--flag`."""
    from model.base import Generation, Passage
    from retrieval.embedder import Embedder

    judge = Judge(Embedder())
    passages = [Passage(1, "Payment", "We accept PayPal and all major credit cards. Invoices are sent by email.")]
    reading = Generation("We accept PayPal and all major credit cards. [1]", backend="extractive", cited=(1,))
    judged = await judge.judge("Which payment option can I use?", [reading], passages, 0.7)
    assert judged[0].signals.fits == 0.0 and judged[0].confidence > 0.3
