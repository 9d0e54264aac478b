"""The message catalogue: every language file has every English key; refusals in the asker's language."""
from __future__ import annotations

from bot.core import i18n


def test_every_language_file_has_the_english_keys() -> None:
    english = set(i18n.catalogue("en"))
    assert english and {"en", "zh"} <= set(i18n.languages())
    for language in i18n.languages():
        assert set(i18n.catalogue(language)) == english, language


def test_messages_follow_the_question_language() -> None:
    assert i18n.for_text("idk", "今天北京的天气怎么样？") == i18n.message("idk", "zh")
    assert "我不知道" in i18n.message("idk", "zh")
    assert i18n.for_text("idk", "What is the weather today?").startswith("I don't know")
    assert i18n.message("idk", "de") == i18n.message("idk", "en")  # no German file: English
    assert i18n.message("idk", "../en") == i18n.message("idk", "en")  # not a path
