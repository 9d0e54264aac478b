from pathlib import Path

from bot.services.evaluation.dataset import cache_folder


def test_default_embedder_keeps_the_folder_name() -> None:
    assert cache_folder(Path("/d"), "squad2", "abc", None) == Path("/d/eval/squad2-abc")


def test_another_embedder_setting_gets_its_own_folder() -> None:
    default = cache_folder(Path("/d"), "set", "abc", None)
    e5 = cache_folder(Path("/d"), "set", "abc", "multilingual")
    local = cache_folder(Path("/d"), "set", "abc", "/models/my model/")
    assert len({default, e5, local}) == 3
    assert e5.name == "set-abc-multilingual" and local.name == "set-abc-my_model"


def test_int8_vectors_get_their_own_folder() -> None:
    assert cache_folder(Path("/d"), "set", "abc", None, "onnx-int8") == Path("/d/eval/set-abc-int8")
    assert cache_folder(Path("/d"), "set", "abc", None, "onnx") == cache_folder(Path("/d"), "set", "abc", None)
