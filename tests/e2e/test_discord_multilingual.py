"""Chinese in Discord: the real bot, the fake Discord, a real Assistant with the multilingual embedder.

Guild A holds a Chinese knowledge base; guild B's index was built by the English embedder before
the bot started, so asking there must be one line about the mismatch, not a traceback.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr

from bot.core import i18n
from bot.core.assistant import Assistant
from bot.core.config import Settings
from bot.frontends.discord.client import build_bot, endpoints
from tests.e2e.fake_discord import TOKEN, Channel, FakeDiscord, User

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

SHOP_ZH = {
    "退货.md": "# 退货政策\n\n实物商品在签收后三十天内可以申请退货并获得全额退款。商品必须未使用并保留原包装。\n\n"
    "## 数字商品\n\n电子书和软件许可证一经下载不能退货，除非文件损坏。\n",
    "配送.md": "# 配送\n\n欧盟境内标准配送需要三到五个工作日，运费四点九欧元。订单满五十欧元免运费。\n\n"
    "## 加急\n\n加急配送在下一个工作日送达，费用十二欧元。\n",
}


def settings_for(data_dir: Path, server: FakeDiscord, model: str | None) -> Settings:
    return Settings(
        data_dir=data_dir, generator="extractive", discord_token=SecretStr(TOKEN),
        discord_api_base=server.api_base, discord_gateway=server.gateway,
        rate_limit_per_minute=20, answer_workers=2, max_queue=100, embedder={"model": model},
    )


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Any]]:
    logging.getLogger("discord").setLevel(logging.WARNING)
    server = FakeDiscord()
    await server.start()
    owner = server.add_user("owner")
    guild_zh = server.add_guild("中文服务器", owner, ("general",))
    guild_en = server.add_guild("English guild", owner, ("general",))
    member = server.add_user("成员")
    server.add_member(guild_zh, member)
    server.add_member(guild_en, member)
    root = tmp_path_factory.mktemp("ragcord-zh")
    docs = root / "docs"
    docs.mkdir()
    for name, text in SHOP_ZH.items():
        (docs / name).write_text(text, encoding="utf-8")
    english = root / "english.md"
    english.write_text("# Shipping\n\nStandard shipping takes three to five business days.\n", encoding="utf-8")
    data_dir = root / "data"

    before = await Assistant.create(settings_for(data_dir, server, None))  # the English embedder
    try:
        assert (await before.ingest(f"guild:{guild_en.id}", [str(english)])).added == 1
    finally:
        await before.aclose()

    settings = settings_for(data_dir, server, "multilingual")
    assistant = await Assistant.create(settings)
    report = await assistant.ingest(f"guild:{guild_zh.id}", [str(docs)])
    assert report.added == len(SHOP_ZH) and not report.errors
    with endpoints(server.api_base, server.gateway):
        bot = build_bot(settings, assistant, guild_ready_timeout=0.05)
        runner = asyncio.create_task(bot.start(TOKEN))
        await asyncio.wait_for(bot.wait_until_ready(), 60)
        try:
            yield {"server": server, "member": member, "zh": guild_zh.channels[0], "en": guild_en.channels[0]}
        finally:
            await bot.close()
            await asyncio.wait_for(runner, 10)
            await assistant.aclose()
            await server.stop()


async def ask(world: dict[str, Any], channel: Channel, text: str) -> Any:
    server: FakeDiscord = world["server"]
    user: User = world["member"]
    msg = await server.user_message(channel, user, text, mention_bot=True)
    return await server.wait_for_reply(msg, timeout=60)


async def test_chinese_question_is_answered_with_a_citation(world: dict[str, Any]) -> None:
    final = await ask(world, world["zh"], "加急配送多少钱？")
    assert "十二欧元" in final.content and "[1]" in final.content
    sources = final.embeds[0]
    assert sources["title"] == i18n.message("sources", "zh") == "来源" and "配送" in sources["description"]
    labels = [c.get("label") for row in final.body["components"] for c in row["components"]]
    assert "来源" in labels and "人工帮助" in labels and "Sources" not in labels
    assert final.custom_ids[0].startswith("rc:src:")  # the ids are the same in every language


async def test_out_of_scope_chinese_question_is_refused_in_chinese(world: dict[str, Any]) -> None:
    final = await ask(world, world["zh"], "一九五四年世界杯足球赛冠军是谁？")
    assert i18n.message("idk", "zh") in final.content
    assert "I don't know" not in final.content


async def test_index_of_another_embedder_is_one_line(world: dict[str, Any]) -> None:
    final = await ask(world, world["en"], "How long does standard shipping take?")
    assert "built with embedder" in final.content
    assert "\n" not in final.content.strip() and "Traceback" not in final.content
