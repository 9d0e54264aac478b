"""Conversation keys keep the stored string format and round-trip through it."""
from __future__ import annotations

import pytest

from bot.services.conversations import ConversationKey, ConversationKind


@pytest.mark.parametrize(("key", "text"), [
    (ConversationKey.chain(123), "chain:123"),
    (ConversationKey.thread("456"), "thread:456"),
    (ConversationKey.dm(7), "dm:7"),
    (ConversationKey.slash(89), "slash:89"),
])
def test_string_form_is_the_stored_format(key: ConversationKey, text: str) -> None:
    assert str(key) == text
    assert ConversationKey.parse(text) == key


def test_ids_keep_their_colons_and_the_kind_is_typed() -> None:
    key = ConversationKey.parse("thread:1:2")
    assert key.kind is ConversationKind.THREAD and key.id == "1:2"


def test_cli_sessions_are_fresh() -> None:
    a, b = ConversationKey.cli(), ConversationKey.cli()
    assert a.kind is ConversationKind.CLI and a != b
    assert ConversationKey.parse(str(a)) == a


@pytest.mark.parametrize("text", ["", "chain", "chain:", "guild:1", ":5"])
def test_unknown_or_empty_keys_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        ConversationKey.parse(text)
