"""Curated answers against the fake Discord: `/answers add|list|remove`, a paraphrase answered with
the approved text, and "Save as answer" on a staff reply in an escalation thread."""
from __future__ import annotations

import time
from typing import Any

import pytest

from bot.frontends.discord.render import APPROVED
from tests.e2e.conftest import World
from tests.e2e.fake_discord import Call, Channel, FakeDiscord, User

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def ask(world: World, channel: Channel, user: User, text: str) -> Call:
    msg = await world.server.user_message(channel, user, text, mention_bot=True)
    return await world.server.wait_for_reply(msg, timeout=60)


async def message_menu(s: FakeDiscord, channel: Channel, user: User, name: str, target: dict[str, Any]) -> str:
    """Use a message context menu command (type 3) on `target`; returns the interaction token."""
    inter = s._interaction_base(2, channel, user)
    cmd = s._command_schema(channel.guild_id, [name])
    assert cmd.get("type") == 3
    inter.payload["data"] = {"id": cmd["id"], "name": name, "type": 3, "target_id": target["id"],
                             "resolved": {"messages": {target["id"]: target}}, "guild_id": str(channel.guild_id)}
    s.dispatched[inter.token] = time.monotonic()
    await s.dispatch("INTERACTION_CREATE", inter.payload)
    return inter.token


async def test_a_moderator_adds_an_answer_and_a_member_gets_it_for_a_paraphrase(world: World) -> None:
    s = world.server
    token = await s.slash(world.general_a, world.member(), "answers add", question="Q?", answer="A.")
    assert "Only moderators" in (await s.wait_for_interaction(token)).content
    token = await s.slash(world.general_a, world.mod, "answers add",
                          question="What is the wifi password at the venue?", answer="The wifi password is `tulip-42`.",
                          paraphrases="venue wifi password | how do I get on the wifi at the venue")
    saved = await s.wait_for_interaction(token)
    assert saved.ephemeral and "Saved curated answer #" in saved.content

    final = await ask(world, world.general_a, world.member(), "what's the wifi password at the venue?")
    assert "tulip-42" in final.text and APPROVED in final.text
    assert final.body.get("allowed_mentions", {}).get("parse") == []
    # guild B never gets guild A's curated answer
    other = world.member(guild=world.guild_b)
    elsewhere = await ask(world, world.general_b, other, "what's the wifi password at the venue?")
    assert "tulip-42" not in elsewhere.text and APPROVED not in elsewhere.text

    scope = f"guild:{world.guild_a.id}"
    [row] = await world.bot.assistant.store.curated.list(scope)
    assert row.hits == 1 and row.author == str(world.mod.id)
    token = await s.slash(world.general_a, world.mod, "answers list")
    listed = await s.wait_for_interaction(token)
    assert listed.ephemeral and f"#{row.id}" in listed.text and "1 hit" in listed.text
    token = await s.slash(world.general_a, world.mod, "answers remove", answer=row.id)
    assert "deleted" in (await s.wait_for_interaction(token)).content
    again = await ask(world, world.general_a, world.member(), "what's the wifi password at the venue?")
    assert "tulip-42" not in again.text


async def test_save_as_answer_on_a_staff_reply_in_an_escalation_thread(world: World) -> None:
    s = world.server
    asker = world.member("lost-item")
    question = "Where is the lost and found desk?"
    final = await ask(world, world.general_a, asker, question)
    human = next(i for i in final.custom_ids if i.startswith("rc:human:"))
    await s.wait_for_interaction(await s.click(s.messages[final.message_id], human, asker))
    created = await s.wait_for(lambda c: c.kind == "thread_create" and "lost-item" in c.payload.get("name", ""))
    thread = s.channels[created.message_id]
    await s.wait_for(lambda c: c.kind == "message_create" and c.channel_id == thread.id)  # the brief
    staff = await s.user_message(thread, world.mod, "The lost and found desk is next to the main entrance.")

    token = await message_menu(s, thread, asker, "Save as answer", staff)
    assert "Only moderators" in (await s.wait_for_interaction(token)).content
    token = await message_menu(s, world.general_a, world.mod, "Save as answer", staff)
    assert "escalation thread" in (await s.wait_for_interaction(token)).content
    token = await message_menu(s, thread, world.mod, "Save as answer", staff)
    saved = await s.wait_for_interaction(token)
    assert saved.ephemeral and "Saved as curated answer #" in saved.content and "lost and found" in saved.content

    reply = await ask(world, world.general_a, world.member(), "where's the lost and found desk?")
    assert "next to the main entrance" in reply.text and APPROVED in reply.text
