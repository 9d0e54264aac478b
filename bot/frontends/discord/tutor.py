"""Tutoring: `/explain` (a grounded, cited explanation at a level), `/quiz` and `/progress`."""
from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.frontends.discord import render
from bot.frontends.discord.common import NONE, NotAllowed, one_line, reply, scope_for
from bot.frontends.discord.host import Host, host
from bot.frontends.discord.tutor_views import QuizSession, RetryView
from bot.services.tutoring import QuizCard, QuizError
from retrieval.textlang import detect

Level = Literal["beginner", "intermediate", "advanced"]
Kind = Literal["mcq", "short", "mixed"]


class Tutoring(commands.Cog):
    def __init__(self, bot: Host) -> None:
        self.bot = bot

    @app_commands.command(name="explain", description="Explain a topic from the course material")
    @app_commands.describe(topic="what to explain", level="how deep (default beginner)")
    async def explain(
        self, interaction: discord.Interaction[Any], topic: app_commands.Range[str, 1, 300], level: Level = "beginner"
    ) -> None:
        ask = self.bot.asker
        if ask is None:
            raise NotAllowed("Answering is switched off on this bot.")
        # same path as /ask: rate limit, queue, streamed edits, sources and buttons
        await ask.enqueue_interaction(interaction, topic, level=level)

    @app_commands.command(name="quiz", description="Practice questions from the course material")
    @app_commands.describe(topic="what to practise", count="how many questions (1–10, default 3)",
                           kind="multiple choice, short answers or mixed (default)")
    @app_commands.checks.cooldown(3, 60.0, key=lambda i: (i.guild_id, i.user.id))
    async def quiz(
        self, interaction: discord.Interaction[Any], topic: app_commands.Range[str, 1, 200],
        count: app_commands.Range[int, 1, 10] = 3, kind: Kind = "mixed",
    ) -> None:
        await interaction.response.defer(thinking=True)
        scope = scope_for(self.bot, interaction.guild_id)
        try:
            made = await self.bot.tutor.make_quiz(
                scope, topic, count=count, kind=kind, user=str(interaction.user.id)
            )
        except QuizError as exc:
            text = one_line(exc.sorry(detect(topic)))  # in the topic's language, like the quiz itself
            await interaction.edit_original_response(content=text, allowed_mentions=NONE)
            return
        items = [QuizCard.made(q, topic) for q in made]
        session = QuizSession.about(interaction.user.id, scope, items, topic)
        text, view = session.first()
        await interaction.edit_original_response(content=text, view=view, allowed_mentions=NONE)

    @app_commands.command(name="progress", description="Your quiz scores by topic and the questions due again")
    async def progress(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        scope = scope_for(self.bot, interaction.guild_id)
        p = await self.bot.tutor.progress(scope, str(interaction.user.id))
        if not p.topics and not p.due:
            await reply(interaction, "No quiz answers yet — try `/quiz topic:`.")
            return
        embed = discord.Embed(title="Your progress", colour=discord.Colour.green())
        for t in p.topics[:20]:
            embed.add_field(
                name=render.neutralize(t.topic)[:256] or "general",
                value=f"{t.correct}/{t.attempts} correct · average {t.mean_score:.0%}", inline=False,
            )
        embed.add_field(name="Weak topics", value=render.neutralize(", ".join(p.weak))[:1024] or "none 🎉",
                        inline=False)
        due = "\n".join(f"• {render.neutralize(' '.join(d.item.question.split()))[:150]}" for d in p.due[:10])
        embed.add_field(name=f"Due again ({len(p.due)})", value=due[:1024] or "nothing right now", inline=False)
        view = RetryView(interaction.user.id, scope, [QuizCard.due(d) for d in p.due]) if p.due else None
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NONE,
                                        **({"view": view} if view else {}))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Tutoring(host(bot)))
