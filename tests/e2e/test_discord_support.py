"""Customer service against the fake Discord: auto-answer channels, other answers, escalation
to a private staff thread, frustrated members, /memory and /summarize."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e.conftest import World
from tests.e2e.fake_discord import Call

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

HANDBOOK = """# Store handbook

## Refunds

Customers can request a full refund within 30 days of purchase. Refunds are paid back to the
original payment method within five business days.

## Shipping

Orders ship from the Rotterdam warehouse within two business days.

## Express delivery

Express delivery costs 12 euros and arrives the next working day. Pro plan customers get free
express delivery.
"""


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def kb(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Guild A's knowledge base, a moderators' channel and a moderator role (set up once)."""
    path: Path = tmp_path_factory.mktemp("docs") / "store-handbook.md"
    path.write_text(HANDBOOK)
    scope = f"guild:{world.guild_a.id}"
    report = await world.bot.assistant.ingest(scope, [str(path)])
    assert report.added == 1
    s = world.server
    for command, option in (("settings mod-channel", {"channel": world.mods_a}),
                            ("settings mod-role", {"role": world.mod_role})):
        token = await s.slash(world.general_a, world.admin, command, **option)
        await s.wait_for_interaction(token, lambda c: "Saved" in c.content)
    docs = await world.bot.assistant.list_documents(scope)
    return {"scope": scope, "doc": docs[0]}


def replies_to(world: World, msg: dict[str, Any]) -> list[Call]:
    def match(c: Call) -> bool:
        ref = (c.message or {}).get("message_reference") or {}
        return c.kind in ("message_create", "message_edit") and ref.get("message_id") == msg["id"]
    return world.server.calls_for(match)


def no_pings(call: Call) -> None:
    assert call.body.get("allowed_mentions", {}).get("parse") == [], call.body


async def ask(world: World, user: Any, text: str) -> Call:
    msg = await world.server.user_message(world.general_a, user, text, mention_bot=True)
    return await world.server.wait_for_reply(msg, timeout=60)


async def test_auto_answer_channel_answers_when_confident_and_stays_quiet_below_threshold(
    world: World, kb: dict[str, Any]
) -> None:
    s = world.server
    help_channel = world.guild_a.channels[2]
    token = await s.slash(world.general_a, world.admin, "settings auto-channel", action="add", channel=help_channel)
    saved = await s.wait_for_interaction(token, lambda c: "Saved" in c.content)
    assert "stay quiet and flag" in saved.content

    confident = await s.user_message(help_channel, world.member(), "How much does express delivery cost?")
    answer = await s.wait_for_reply(confident, timeout=60)
    assert "12 euros" in answer.content and answer.custom_ids

    asker = world.member()
    unsure = await s.user_message(help_channel, asker, "What is the capital of France?")
    staff = await s.wait_for(lambda c: c.kind == "message_create" and c.channel_id == world.mods_a.id
                             and "stayed quiet" in c.content, timeout=60)
    assert "capital of France" in staff.content and unsure["id"] in staff.content
    assert any(i.startswith("rc:resolve:") for i in staff.custom_ids)
    no_pings(staff)
    assert replies_to(world, unsure) == []  # nothing was said in the channel
    flags = await world.bot.assistant.store.answers.list_flags(kb["scope"])
    assert any(f.kind == "low_confidence" and f.user == str(asker.id) for f in flags)

    token = await s.slash(world.general_a, world.admin, "settings auto-quiet", mode="off")
    assert "say “I don’t know”" in (await s.wait_for_interaction(token, lambda c: "Saved" in c.content)).content
    try:
        again = await s.user_message(help_channel, world.member(), "What is the capital of France?")
        said = await s.wait_for_reply(again, timeout=60)
        assert "I don't know" in said.content
    finally:
        token = await s.slash(world.general_a, world.admin, "settings auto-quiet", mode="on")
        await s.wait_for_interaction(token, lambda c: "Saved" in c.content)


async def test_other_answers_button_reveals_the_runners_up(world: World, kb: dict[str, Any]) -> None:
    s = world.server
    settings = world.bot.assistant.settings
    before = settings.generation.candidates
    settings.generation.candidates = 3
    try:
        final = await ask(world, world.member(), "How long does a refund take to be paid back?")
    finally:
        settings.generation.candidates = before
    alt = next(i for i in final.custom_ids if i.startswith("rc:alt:"))
    member = world.member()
    token = await s.click(s.messages[final.message_id], alt, member)
    shown = await s.wait_for_interaction(token)
    assert shown.ephemeral
    assert "Best" in shown.text and "#2" in shown.text and "confidence" in shown.text
    # one candidate: no button
    single = await ask(world, world.member(), "How long does a refund take to be paid back?")
    assert not any(i.startswith("rc:alt:") for i in single.custom_ids)


async def test_ask_a_human_opens_a_private_thread_that_a_moderator_resolves(world: World, kb: dict[str, Any]) -> None:
    s = world.server
    asker = world.member("needs-help")
    first = await ask(world, asker, "When do orders ship from the warehouse?")
    follow_up = await s.user_message(world.general_a, asker, "And how much does express delivery cost?",
                                     reply_to=s.messages[first.message_id])
    final = await s.wait_for_reply(follow_up, timeout=60)
    aid = int(final.custom_ids[0].rsplit(":", 1)[1])
    token = await s.click(s.messages[final.message_id], f"rc:human:{aid}", asker)
    told = await s.wait_for_interaction(token)
    assert told.ephemeral and "private thread" in told.content

    created = await s.wait_for(lambda c: c.kind == "thread_create" and c.channel_id == world.general_a.id)
    assert created.payload["type"] == 12  # private
    thread_id = created.message_id
    assert f"<#{thread_id}>" in told.content
    await s.wait_for(lambda c: c.kind == "thread_member_add" and c.channel_id == thread_id
                     and c.payload["user_id"] == str(asker.id))
    brief = await s.wait_for(lambda c: c.kind == "message_create" and c.channel_id == thread_id)
    no_pings(brief)
    assert f"<@&{world.mod_role.id}>" in brief.content  # the role, as text only
    assert "Summary of the conversation" in brief.content and "ship" in brief.content
    assert "Sources tried" in brief.content and "Store handbook" in brief.content
    resolve = next(i for i in brief.custom_ids if i.startswith("rc:resolve:"))
    flag_id = int(resolve.rsplit(":", 1)[1])
    notice = await s.wait_for(lambda c: c.kind == "message_create" and c.channel_id == world.mods_a.id
                              and f"<#{thread_id}>" in c.content)
    assert f"flag #{flag_id}" in notice.content

    token = await s.click(s.messages[brief.message_id], resolve, asker)
    assert "Only moderators" in (await s.wait_for_interaction(token)).content
    token = await s.click(s.messages[brief.message_id], resolve, world.mod)
    done = await s.wait_for_interaction(token)
    assert done.payload["type"] == 7 and "Resolved by" in done.content and not done.custom_ids
    open_ids = [f.id for f in await world.bot.assistant.store.answers.list_flags(kb["scope"])]
    assert flag_id not in open_ids

    # staff talking in the escalation thread is not a question for the bot
    talk = await s.user_message(s.channels[thread_id], world.mod, "Hi! Express delivery is free on the Pro plan.")
    await ask(world, world.member(), "How much does express delivery cost?")  # the bot is still answering
    assert replies_to(world, talk) == []


async def test_a_frustrated_member_is_escalated(world: World, kb: dict[str, Any]) -> None:
    s = world.server
    angry = world.member("angry")
    await ask(world, angry, "This is terrible and useless, I hate it! How much does express delivery cost?")
    second = await s.user_message(world.general_a, angry, "Awful, useless answer, I'm furious! When do orders ship?",
                                  mention_bot=True)
    await s.wait_for_reply(second, timeout=60)
    created = await s.wait_for(lambda c: c.kind == "thread_create" and "angry" in c.payload.get("name", ""))
    told = await s.wait_for(lambda c: c.kind == "message_create" and f"<#{created.message_id}>" in c.content
                            and c.channel_id == world.general_a.id)
    assert "asked a human" in told.content
    brief = await s.wait_for(lambda c: c.kind == "message_create" and c.channel_id == created.message_id)
    assert "seems frustrated" in brief.content
    flags = await world.bot.assistant.store.answers.list_flags(kb["scope"])
    assert any(f.kind == "frustrated" and f.user == str(angry.id) for f in flags)


async def test_memory_shows_what_the_member_told_the_bot(world: World, kb: dict[str, Any]) -> None:
    s = world.server
    member = world.member()
    await ask(world, member, "I'm on the Pro plan. How much does express delivery cost?")
    token = await s.slash(world.general_a, member, "memory")
    shown = await s.wait_for_interaction(token)
    assert shown.ephemeral and "Pro plan" in shown.content
    token = await s.slash(world.general_a, world.member(), "memory")
    assert "don't remember anything" in (await s.wait_for_interaction(token)).content


async def test_summarize_a_document_and_a_channel(world: World, kb: dict[str, Any]) -> None:
    s = world.server
    member = world.member()
    token = await s.slash(world.general_a, member, "summarize", document=str(kb["doc"].id))
    summary = await s.wait_for_interaction(token)
    assert summary.ephemeral and "Summary of" in summary.text
    assert "refund" in summary.text.lower() or "delivery" in summary.text.lower()

    reader = world.member(guild=world.guild_b)
    for text in ("The team picnic moves to Saturday because of the rain forecast.",
                 "Bring sandwiches and a blanket for the picnic in the park.",
                 "The picnic starts at noon near the fountain."):
        await s.user_message(world.general_b, reader, text)
    token = await s.slash(world.general_b, reader, "summarize", channel=world.general_b, messages=10)
    summary = await s.wait_for_interaction(token)
    assert summary.ephemeral and "picnic" in summary.text and "last 3 message(s)" in summary.text
