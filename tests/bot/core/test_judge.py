"""The judge takes the calibration fitted for its embedder's cosines, chosen by the model name."""
from collections.abc import Sequence

import numpy as np

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
