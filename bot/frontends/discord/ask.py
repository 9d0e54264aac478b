"""Answering: mentions, DMs, replies to the bot, the bot's threads, auto-answer channels, `/ask`.

Every question goes through one path: rate limit → fair queue → a worker streams the core's
events into one Discord message (edited at most about once a second), then renders the final,
authoritative answer with its sources and buttons.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import i18n
from bot.core.types import Answer, FinalEvent, Question, TokenEvent
from bot.frontends.discord import escalate, render
from bot.frontends.discord.common import reply, scope_for
from bot.frontends.discord.host import LRU, Host, host
from bot.frontends.discord.targets import InteractionTarget, Job, MessageTarget, Target
from bot.frontends.discord.views import AnswerButton, AnswerView
from bot.services.admission import admission_for
from bot.services.autoanswer import Incoming, auto_answers, stays_quiet
from bot.services.conversations import ConversationKey
from bot.services.feedback import AnswerId
from bot.services.queue import FairQueue, QueueFull, RateLimiter
from bot.services.requestlog import request_scope
from retrieval.textlang import detect

__all__ = ["EDIT_INTERVAL", "Ask", "InteractionTarget", "Job", "MessageTarget", "Target"]

log = logging.getLogger("ragcord.discord")
EDIT_INTERVAL = 1.0  # seconds between streaming edits (Discord's soft limit is ~5 per 5 s)
FAILED = i18n.message("failed")  # in English; a member reads it in the question's language


# --- the cog -------------------------------------------------------------------------------------
class Ask(commands.Cog):
    def __init__(self, bot: Host, clock: Callable[[], float] = time.monotonic) -> None:
        self.bot = bot
        self.clock = clock  # paces the streaming edits
        settings = bot.settings
        self.limiter = RateLimiter(settings.queue.rate_limit_per_minute)
        shared = bot.assistant.store.coordination if getattr(settings, "database_url", None) else None
        self.admission = admission_for(self.limiter, shared)  # across processes on PostgreSQL
        self.queue: FairQueue[Job] = FairQueue(settings.queue.max_queue)
        self.workers: list[asyncio.Task[None]] = []
        self.busy = 0  # workers answering right now
        self.conversations: LRU[int, ConversationKey] = LRU(20_000)  # bot message id -> conversation

    async def cog_load(self) -> None:
        n = self.bot.settings.queue.answer_workers
        self.workers = [asyncio.create_task(self._worker(i), name=f"ragcord-answer-{i}") for i in range(n)]
        self.bot.asker = self

    async def cog_unload(self) -> None:
        self.bot.asker = None
        for task in self.workers:
            task.cancel()
        await asyncio.gather(*self.workers, return_exceptions=True)

    # --- triggers --------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        mentioned = any(u.id == me.id for u in message.mentions) and (
            f"<@{me.id}>" in message.content or f"<@!{me.id}>" in message.content
        )
        text = re.sub(rf"<@!?{me.id}>", "", message.content).strip()
        conversation = await self._conversation_for(message)
        channel = message.channel
        if message.guild is None:
            trigger = "dm"
        elif mentioned:
            trigger = "mention"
        elif conversation is not None:
            trigger = "reply"
        elif isinstance(channel, discord.Thread) and channel.owner_id == me.id \
                and channel.type is not discord.ChannelType.private_thread:  # private: staff escalations
            trigger = "thread"
        elif await self._is_auto_channel(message):
            trigger = "auto"
        else:
            return
        if not text:
            if trigger in ("mention", "dm"):
                await MessageTarget(message).notice(
                    "Ask me a question about this server's documents — for example "
                    f"`@{me.name} how do I reset my password?`"
                )
            return
        if conversation is None:
            conversation = self._default_conversation(message)
        question = Question(
            text=text, user=str(message.author.id), scope=scope_for(self.bot, message.guild and message.guild.id),
            channel=str(channel.id), conversation=str(conversation),
            user_name=message.author.display_name, message_id=str(message.id),
        )
        quiet = trigger == "auto" and (await self.bot.guild_settings(question.scope)).auto_quiet
        await self.submit(Job(question, MessageTarget(message), channel, quiet=quiet))

    def _default_conversation(self, message: discord.Message) -> ConversationKey:
        channel = message.channel
        if message.guild is None:
            return ConversationKey.dm(channel.id)
        if isinstance(channel, discord.Thread):
            return ConversationKey.thread(channel.id)
        return ConversationKey.chain(message.id)

    async def _is_auto_channel(self, message: discord.Message) -> bool:
        if message.guild is None:
            return False
        channel = message.channel
        parent = channel.parent_id if isinstance(channel, discord.Thread) else None
        incoming = Incoming(str(channel.id), str(parent) if parent else None, is_reply=message.reference is not None,
                            mentions_people=any(not u.bot for u in message.mentions))
        if incoming.is_reply or incoming.mentions_people:
            return False  # a conversation between people, and no need to read the settings
        gs = await self.bot.guild_settings(scope_for(self.bot, message.guild.id))
        return auto_answers(incoming, gs.auto_channels)

    async def _conversation_for(self, message: discord.Message) -> ConversationKey | None:
        """The conversation a reply continues, when it replies (directly) to one of the bot's messages."""
        ref = message.reference
        me = self.bot.user
        if ref is None or ref.message_id is None or me is None:
            return None
        if message.guild is None:
            return None  # DMs are one conversation anyway
        if ref.message_id in self.conversations:
            return self.conversations[ref.message_id]
        parent = await self._fetch(message.channel, ref)
        if parent is None or parent.author.id != me.id:
            return None
        # walk up: bot answer -> the question it replied to -> the bot message that one replied to ...
        node = parent
        for _ in range(8):
            if node.id in self.conversations:
                return self.conversations[node.id]
            if node.reference is None or node.reference.message_id is None:
                return ConversationKey.chain(node.id)
            asked = await self._fetch(message.channel, node.reference)
            if asked is None or asked.reference is None:
                return ConversationKey.chain(node.reference.message_id)
            above = await self._fetch(message.channel, asked.reference)
            if above is None or above.author.id != me.id:
                return ConversationKey.chain(asked.id)
            node = above
        return ConversationKey.chain(node.id)

    @staticmethod
    async def _fetch(channel: Any, ref: discord.MessageReference) -> discord.Message | None:
        if isinstance(ref.resolved, discord.Message):
            return ref.resolved
        if ref.cached_message is not None:
            return ref.cached_message
        if ref.message_id is None:
            return None
        try:
            return await channel.fetch_message(ref.message_id)
        except (discord.NotFound, discord.Forbidden, discord.HTTPException):
            return None

    # --- slash commands ----------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Ask a question about this server's documents")
    @app_commands.describe(question="What do you want to know?")
    async def ask(self, interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 4000]) -> None:
        await self.enqueue_interaction(interaction, question)

    async def enqueue_interaction(
        self, interaction: discord.Interaction[Any], text: str, *, level: str | None = None
    ) -> None:
        """Rate-limit, defer, and queue a slash-command question (`/ask`, `/explain`)."""
        user, scope, key = str(interaction.user.id), scope_for(self.bot, interaction.guild_id), str(interaction.id)
        if not await self.admission.claim(key, scope, user):
            return  # another process answers it
        wait = await self.admission.retry_after(user)
        if wait or await self.admission.full(len(self.queue), self.queue.maxsize):
            await self.admission.done(key)
            await reply(interaction, _slow_down(wait, text) if wait else _busy(text))
            return
        await interaction.response.defer(thinking=True)
        q = Question(
            text=text, user=user, scope=scope,
            channel=str(interaction.channel_id), conversation=str(ConversationKey.slash(interaction.id)),
            user_name=interaction.user.display_name, message_id=str(interaction.id),
        )
        await self.submit(Job(q, InteractionTarget(interaction), None, level=level), rate_checked=True)

    @app_commands.command(name="forget", description="Delete what I remember about you here")
    async def forget(self, interaction: discord.Interaction[Any]) -> None:
        scope = scope_for(self.bot, interaction.guild_id)
        counts = await self.bot.assistant.forget(scope, str(interaction.user.id))
        total = sum(counts.values())
        where = "in this server" if interaction.guild_id else "in direct messages"
        if not total:
            await reply(interaction, f"I had nothing stored about you {where}.")
            return
        parts = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        await reply(interaction, f"Done — I deleted {parts} {where}.")

    # --- queue and workers ---------------------------------------------------------------------------
    async def submit(self, job: Job, rate_checked: bool = False) -> None:
        with request_scope(job.request_id):
            try:
                await self._submit(job, rate_checked)
            except Exception:  # the shared store is unreachable: one line for the member, the trace in the log
                log.exception("could not queue %r", job.question.text[:80])
                with contextlib.suppress(discord.HTTPException):
                    await job.target.notice(i18n.for_text("failed", job.question.text))

    async def _submit(self, job: Job, rate_checked: bool) -> None:
        q, admission = job.question, self.admission
        key = q.message_id or job.request_id
        if not rate_checked:  # `enqueue_interaction` claimed and checked it already
            if not await admission.claim(key, q.scope, q.user):
                return  # another process (or an earlier delivery of this event) answers it
            wait = await admission.retry_after(q.user)
            if wait or await admission.full(len(self.queue), self.queue.maxsize):
                await admission.done(key)
                await job.target.notice(_slow_down(wait, q.text) if wait else _busy(q.text))
                return
        try:
            ahead = self.queue.put_nowait(q.user, job)
        except QueueFull:
            await admission.done(key)
            await job.target.notice(_busy(q.text))
            return
        waiting = ahead + self.busy - len(self.workers) + 1  # questions before this one starts
        if waiting > 0 and isinstance(job.target, MessageTarget) and not job.quiet:
            with contextlib.suppress(discord.HTTPException):
                await job.target.placeholder(i18n.for_text("in_line", job.question.text).format(n=waiting))

    async def _worker(self, n: int) -> None:
        while True:
            job = await self.queue.get()
            self.busy += 1
            with request_scope(job.request_id):  # the id `submit` logged under
                try:
                    await self.answer(job)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("answering %r failed", job.question.text[:80])
                    try:
                        await job.target.notice(i18n.for_text("failed", job.question.text))
                    except Exception:
                        log.debug("could not report the failure", exc_info=True)
                finally:
                    self.busy -= 1
                    await self._done(job)

    async def _done(self, job: Job) -> None:
        try:
            await self.admission.done(job.question.message_id or job.request_id)
        except Exception:  # the store is down: the claim goes stale and stops counting
            log.warning("could not mark question %s answered", job.question.message_id, exc_info=True)

    async def answer(self, job: Job) -> Answer:
        """Stream one answer into Discord; returns the final Answer."""
        target, q = job.target, job.question
        quiet = job.quiet  # nothing shows until we know the answer is confident enough
        typing = asyncio.create_task(_typing(job.channel)) if job.channel is not None and not quiet else None
        streamed: list[str] = []
        final: Answer | None = None
        last_edit = float("-inf")  # the first token shows at once
        assistant = self.bot.assistant
        events = assistant.explain(q.text, job.level, q) if job.level else assistant.ask(q)
        try:
            async for event in events:
                if isinstance(event, TokenEvent) and not quiet:
                    streamed.append(event.text)
                    if self.clock() - last_edit >= EDIT_INTERVAL and "".join(streamed).strip():
                        if typing is not None:
                            typing.cancel()
                        await target.show(render.streaming_preview("".join(streamed)))
                        last_edit = self.clock()
                elif isinstance(event, FinalEvent):
                    final = event.answer
        finally:
            if typing is not None:
                typing.cancel()
        if final is None:
            raise RuntimeError("the assistant ended without an answer")
        if stays_quiet(final, quiet):
            if isinstance(job.target, MessageTarget):
                await escalate.stayed_quiet(self.bot, job.target.question, final)
            return final
        await self._render_final(job, final)
        if final.escalated:
            await self._escalate(job, final)
        return final

    async def _escalate(self, job: Job, answer: Answer) -> None:
        """A frustrated member: open a staff thread and tell them where it is."""
        target = job.target
        if isinstance(target, MessageTarget):
            channel, member, jump = target.question.channel, target.question.author, target.question.jump_url
        elif isinstance(target, InteractionTarget):
            channel, member, jump = target.interaction.channel, target.interaction.user, None
        else:
            return
        if answer.answer_id is None:
            return
        case = await self.bot.escalation.frustrated(AnswerId(answer.answer_id), answer.flag_ids, str(member.id),
                                                    member.display_name, jump)
        where = await escalate.open_case(self.bot, case, channel, member) if case is not None else None
        if where is not None:
            lang = detect(answer.question)
            await target.extra(i18n.message("escalated", lang).format(where=escalate.where_text(where, lang)))

    async def _render_final(self, job: Job, answer: Answer) -> None:
        target = job.target
        pieces = render.answer_pieces(answer)
        embed = render.answer_embed(answer)
        others = len(answer.candidates) > 1
        view = AnswerView(answer.answer_id, others, detect(answer.question)) if answer.answer_id is not None else None
        if answer.answer_id is not None:
            self.bot.recent_answers[answer.answer_id] = answer
        extras: dict[str, Any] = {}
        if embed is not None:
            extras["embed"] = embed
        if view is not None:
            extras["view"] = view
        if answer.error and answer.answer_id is None:  # input problem: a notice, not an answer
            await target.notice(render.neutralize(answer.text))
            return
        if len(pieces) == 1:
            await target.show(pieces[0], **extras)
        else:
            await target.show(pieces[0], embed=None, view=None)
            for piece in pieces[1:-1]:
                await target.extra(piece)
            await target.extra(pieces[-1], **extras)
        if job.question.conversation is None:
            return
        key = ConversationKey.parse(job.question.conversation)
        for mid in target.message_ids:
            self.conversations[mid] = key


async def _typing(channel: discord.abc.Messageable | None) -> None:
    if channel is None:
        return
    try:
        async with channel.typing():
            await asyncio.Event().wait()  # until cancelled by the first streamed token
    except asyncio.CancelledError:
        pass
    except discord.HTTPException:
        log.debug("typing indicator failed", exc_info=True)


def _slow_down(wait: float, question: str = "") -> str:
    return i18n.for_text("slow_down", question).format(seconds=max(1, round(wait)))


def _busy(question: str = "") -> str:
    return i18n.for_text("busy", question)


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(AnswerButton)
    await bot.add_cog(Ask(host(bot)))
