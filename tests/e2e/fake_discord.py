"""A small in-process Discord: the REST routes and gateway frames discord.py 2.7 really uses.

Start it, point discord.py at it (`Route.BASE`, `DiscordWebSocket.DEFAULT_GATEWAY`), then drive
the bot with `user_message`, `slash` and `click`; everything the bot sends is recorded as a
`Call` and awaited with `wait_for` (an asyncio.Condition; no sleeps).

Frames are plain JSON text (discord.py accepts them even when it asked for zlib-stream).
Sharding: `FakeDiscord(shards=n)` takes one gateway connection per shard (IDENTIFY with shard
[i, n]) and sends each guild's events only to the connection of shard (guild_id >> 22) % n, as
Discord does (DMs on shard 0); `add_guild(..., shard=i)` picks an id on shard i, and a guild made
with `everywhere=True` is sent to every shard (two processes that both think they own it, as in a
rolling restart) so tests can show a question is still answered once.
Unknown routes answer 404 and are kept in `unknown` so tests can assert there were none.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

TOKEN = "fake.bot.token"
BOT_ID = 900000000000000001
APP_ID = 900000000000000002

# permission bits used by the tests
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_HISTORY = 1 << 16
MANAGE_GUILD = 1 << 5
MANAGE_MESSAGES = 1 << 13
MEMBER_PERMS = VIEW_CHANNEL | SEND_MESSAGES | READ_HISTORY | (1 << 6) | (1 << 14) | (1 << 15)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py only parses the body when the header is exactly application/json
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


@dataclass
class Call:
    """One request the bot made."""

    kind: str  # message_create, message_edit, callback, followup, followup_edit, ...
    method: str
    path: str
    payload: dict[str, Any]
    files: list[tuple[str, bytes]] = field(default_factory=list)
    channel_id: int | None = None
    message_id: int | None = None
    token: str | None = None  # interaction token for callbacks/webhooks
    at: float = field(default_factory=time.monotonic)
    message: dict[str, Any] | None = None  # the message object after this call, if any

    @property
    def body(self) -> dict[str, Any]:
        """The message part of the payload (an interaction callback nests it under "data")."""
        if self.kind == "callback":
            return self.payload.get("data") or {}
        return self.payload

    @property
    def content(self) -> str:
        return self.body.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.body.get("embeds") or []

    @property
    def ephemeral(self) -> bool:
        return bool((self.body.get("flags") or 0) & 64)

    @property
    def text(self) -> str:
        """Content plus every embed's title, description, fields and footer."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            parts += [f"{f.get('name', '')} {f.get('value', '')}" for f in e.get("fields", [])]
            parts.append((e.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    @property
    def custom_ids(self) -> list[str]:
        ids = []
        for row in self.body.get("components") or []:
            for comp in row.get("components", []):
                if comp.get("custom_id"):
                    ids.append(comp["custom_id"])
        return ids


@dataclass
class User:
    id: int
    name: str

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "username": self.name, "discriminator": "0", "avatar": None,
                "global_name": self.name, "bot": False, "public_flags": 0}


@dataclass
class Role:
    id: int
    name: str
    permissions: int = 0

    def payload(self, position: int) -> dict[str, Any]:
        return {"id": str(self.id), "name": self.name, "permissions": str(self.permissions),
                "position": position, "color": 0, "hoist": False, "managed": False,
                "mentionable": True, "flags": 0}


@dataclass
class Channel:
    id: int
    name: str
    guild_id: int | None
    type: int = 0  # 0 text, 1 DM, 11 public thread, 12 private thread
    parent_id: int | None = None  # threads
    owner_id: int | None = None  # threads
    members: set[int] = field(default_factory=set)  # thread members

    def payload(self, position: int = 0) -> dict[str, Any]:
        if self.type == 1:
            return {"id": str(self.id), "type": 1, "last_message_id": None, "recipients": []}
        if self.type in (11, 12):
            return {"id": str(self.id), "type": self.type, "name": self.name, "guild_id": str(self.guild_id),
                    "parent_id": str(self.parent_id), "owner_id": str(self.owner_id), "last_message_id": None,
                    "rate_limit_per_user": 0, "message_count": 0, "member_count": len(self.members),
                    "flags": 0, "thread_metadata": {
                        "archived": False, "auto_archive_duration": 1440, "archive_timestamp": _now(),
                        "locked": False, "invitable": True, "create_timestamp": _now()}}
        return {"id": str(self.id), "type": self.type, "name": self.name, "position": position,
                "guild_id": str(self.guild_id), "permission_overwrites": [], "nsfw": False,
                "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "parent_id": None,
                "flags": 0}


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    channels: list[Channel] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    members: dict[int, list[int]] = field(default_factory=dict)  # user id -> role ids
    threads: list[Channel] = field(default_factory=list)

    def permissions(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return (1 << 53) - 1
        perms = self.roles[0].permissions  # @everyone
        for r in self.roles:
            if r.id in self.members.get(user_id, []):
                perms |= r.permissions
        return perms


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str
    url: str

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "filename": self.filename, "size": len(self.data),
                "url": self.url, "proxy_url": self.url, "content_type": self.content_type}


@dataclass
class Interaction:
    id: int
    token: str
    payload: dict[str, Any]


class FakeDiscord:
    def __init__(self, shards: int = 1) -> None:
        self.shard_count = shards
        self._ids = itertools.count(1_000_000_000_000_000_00)
        self.bot_user = {"id": str(BOT_ID), "username": "ragcord", "discriminator": "0",
                         "avatar": None, "global_name": None, "bot": True, "flags": 0,
                         "verified": True, "mfa_enabled": False}
        self.guilds: dict[int, Guild] = {}
        self.users: dict[int, User] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.attachments: dict[int, Attachment] = {}
        self.calls: list[Call] = []
        self.unknown: list[str] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None=global)
        self.interactions: dict[str, Interaction] = {}
        self.dispatched: dict[str, float] = {}  # event id -> monotonic time sent
        self._cond = asyncio.Condition()
        self._conns: dict[int, web.WebSocketResponse] = {}  # shard id -> its gateway connection
        self._seqs: dict[int, int] = {}
        self._ready: dict[int, asyncio.Event] = {}
        self.identified = self.shard_ready(0)  # shard 0 (the only one, unsharded) is connected
        self.identifies: list[dict[str, Any]] = []  # every IDENTIFY payload, in order
        self.everywhere: set[int] = set()  # guild ids sent to every shard
        self.deliveries: Counter[str] = Counter()  # event id -> connections it was sent on
        self.resumes = 0
        self.url = ""
        self._runner: web.AppRunner | None = None
        self.oauth = OAuth()

    # --- lifecycle -----------------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway(self) -> str:
        return self.url.replace("http://", "ws://") + "/gateway"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{name}", self._attachment)
        for path in ("/oauth2/authorize", "/api/v10/oauth2/authorize"):
            app.router.add_get(path, self._oauth_authorize)
        app.router.add_post("/api/v10/oauth2/token", self._oauth_token)
        app.router.add_get("/api/v10/users/@me/guilds", self._oauth_guilds)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for ws in list(self._conns.values()):
            if not ws.closed:
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- world building (before the bot connects) ------------------------------------------------
    def next_id(self) -> int:
        return next(self._ids)

    def add_user(self, name: str) -> User:
        user = User(self.next_id(), name)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, owner: User, channels: tuple[str, ...] = ("general",), *,
                  shard: int | None = None, everywhere: bool = False) -> Guild:
        gid = self.next_id()
        if shard is not None:  # an id on that shard, far above the counter's ids
            n = self.shard_count
            gid = (((gid >> 22) // n + 1) * n + shard) << 22 | (gid & ((1 << 22) - 1))
            assert self.shard_of(gid) == shard
        if everywhere:
            self.everywhere.add(gid)
        guild = Guild(gid, name, owner.id)
        guild.roles.append(Role(gid, "@everyone", MEMBER_PERMS))  # @everyone shares the guild id
        for ch in channels:
            self.add_channel(guild, ch)
        guild.members[owner.id] = []
        guild.members[BOT_ID] = []
        self.guilds[gid] = guild
        return guild

    def add_channel(self, guild: Guild, name: str) -> Channel:
        ch = Channel(self.next_id(), name, guild.id)
        guild.channels.append(ch)
        self.channels[ch.id] = ch
        return ch

    def add_role(self, guild: Guild, name: str, permissions: int = 0) -> Role:
        role = Role(self.next_id(), name, permissions)
        guild.roles.append(role)
        return role

    def add_member(self, guild: Guild, user: User, roles: tuple[Role, ...] = ()) -> None:
        guild.members[user.id] = [r.id for r in roles]

    def dm_channel(self, user: User) -> Channel:
        for ch in self.channels.values():
            if ch.type == 1 and ch.name == str(user.id):
                return ch
        ch = Channel(self.next_id(), str(user.id), None, type=1)
        self.channels[ch.id] = ch
        return ch

    def add_attachment(self, filename: str, data: bytes, content_type: str) -> Attachment:
        aid = self.next_id()
        att = Attachment(aid, filename, data, content_type, f"{self.url}/attachments/{aid}/{filename}")
        self.attachments[aid] = att
        return att

    def _member_payload(self, guild: Guild, user_id: int, with_user: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "roles": [str(r) for r in guild.members.get(user_id, [])], "joined_at": _now(),
            "deaf": False, "mute": False, "flags": 0, "pending": False, "nick": None,
            "avatar": None, "premium_since": None,
        }
        if with_user:
            out["user"] = self.bot_user if user_id == BOT_ID else self.users[user_id].payload()
        return out

    def _guild_payload(self, guild: Guild) -> dict[str, Any]:
        return {
            "id": str(guild.id), "name": guild.name, "icon": None, "owner_id": str(guild.owner_id),
            "roles": [r.payload(i) for i, r in enumerate(guild.roles)],
            "channels": [c.payload(i) for i, c in enumerate(guild.channels)],
            "members": [self._member_payload(guild, BOT_ID)], "threads": [], "emojis": [],
            "stickers": [], "features": [], "member_count": len(guild.members), "large": False,
            "unavailable": False, "joined_at": _now(), "voice_states": [], "presences": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "premium_tier": 0, "mfa_level": 0, "verification_level": 0, "nsfw_level": 0,
            "explicit_content_filter": 0, "default_message_notifications": 0,
            "system_channel_flags": 0, "preferred_locale": "en-US", "afk_timeout": 300,
        }

    # --- recording and waiting -------------------------------------------------------------------
    async def _record(self, call: Call) -> None:
        async with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 10.0) -> Call:
        """The first recorded call (past or future) matching `predicate`."""
        async def _wait() -> Call:
            async with self._cond:
                while True:
                    for call in self.calls:
                        if predicate(call):
                            return call
                    await self._cond.wait()

        return await asyncio.wait_for(_wait(), timeout)

    async def wait_for_count(
        self, predicate: Callable[[Call], bool], count: int, timeout: float = 30.0
    ) -> list[Call]:
        async def _wait() -> list[Call]:
            async with self._cond:
                while True:
                    found = [c for c in self.calls if predicate(c)]
                    if len(found) >= count:
                        return found
                    await self._cond.wait()

        return await asyncio.wait_for(_wait(), timeout)

    def calls_for(self, predicate: Callable[[Call], bool]) -> list[Call]:
        return [c for c in self.calls if predicate(c)]

    async def wait_for_reply(self, message: dict[str, Any], timeout: float = 20.0) -> Call:
        """The bot's final reply to a user message: the answer with its buttons, or a notice."""
        mid = int(message["id"])

        def is_answer_to(c: Call) -> bool:
            ref = (c.message or {}).get("message_reference") or {}
            return c.kind in ("message_create", "message_edit") and ref.get("message_id") == str(mid)

        def final(c: Call) -> bool:
            # an answer carries buttons; a notice (rate limit, queue full, failure) is any text
            # that is neither a streaming preview (ends with the cursor) nor the queue placeholder
            if not is_answer_to(c):
                return False
            text = c.content
            return bool(c.custom_ids) or not (text.endswith("▌") or text.startswith("⏳"))

        return await self.wait_for(final, timeout)

    async def wait_for_interaction(
        self, token: str, predicate: Callable[[Call], bool] | None = None, timeout: float = 20.0
    ) -> Call:
        """The first message-bearing response to an interaction (callback type 4/7, follow-up, edit)."""
        def match(c: Call) -> bool:
            if c.token != token or c.kind not in ("callback", "followup", "followup_edit"):
                return False
            if c.kind == "callback" and c.payload.get("type") not in (4, 7):
                return False
            return predicate(c) if predicate else bool(c.text or c.files)

        return await self.wait_for(match, timeout)

    # --- gateway ----------------------------------------------------------------------------------
    def shard_of(self, guild_id: int | None) -> int:
        """The shard Discord sends a guild's events on (DMs: shard 0)."""
        return (guild_id >> 22) % self.shard_count if guild_id else 0

    def shard_ready(self, shard: int) -> asyncio.Event:
        """Set while shard `shard` is connected and identified (or resumed)."""
        return self._ready.setdefault(shard, asyncio.Event())

    def _shards_for(self, guild_id: int | None) -> list[int]:
        if guild_id in self.everywhere:
            return sorted(self._conns) or [0]
        return [self.shard_of(guild_id)]

    @property
    def _ws(self) -> web.WebSocketResponse | None:
        return self._conns.get(0)

    async def _send_to(self, ws: web.WebSocketResponse, shard: int, op: int, d: Any, t: str | None = None) -> None:
        frame: dict[str, Any] = {"op": op, "d": d}
        if op == 0:
            self._seqs[shard] = self._seqs.get(shard, 0) + 1
            frame.update(s=self._seqs[shard], t=t)
        else:
            frame.update(s=None, t=None)
        await ws.send_str(json.dumps(frame))

    async def _send(self, op: int, d: Any, t: str | None = None, shard: int = 0) -> None:
        ws = self._conns.get(shard)
        assert ws is not None, f"the bot is not connected on shard {shard}"
        await self._send_to(ws, shard, op, d, t)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event on the shard(s) its guild belongs to, once they are connected."""
        gid = data.get("guild_id")
        for shard in self._shards_for(int(gid) if gid else None):
            await self.shard_ready(shard).wait()
            await self._send(0, data, event, shard)
            self.deliveries[str(data.get("id"))] += 1

    async def drop_gateway(self, code: int = 4000, shard: int = 0) -> None:
        """Close the bot's websocket as a failing gateway would; the bot must RESUME (or IDENTIFY)."""
        ws = self._conns.get(shard)
        assert ws is not None, "the bot is not connected"
        self.shard_ready(shard).clear()
        await ws.close(code=code, message=b"fake gateway fault")

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        shard: int | None = None  # known after IDENTIFY (or RESUME of a shard's session)
        await self._send_to(ws, -1, 10, {"heartbeat_interval": 41250})
        try:
            async for msg in ws:
                if msg.type != 1:  # WSMsgType.TEXT
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await self._send_to(ws, -1, 11, None)
                elif op == 6:  # RESUME after a dropped connection: replay nothing, say RESUMED
                    assert frame["d"]["token"] == TOKEN
                    shard = int(str(frame["d"]["session_id"]).rsplit("-", 1)[-1])
                    self._conns[shard] = ws
                    self.resumes += 1
                    await self._send(0, {}, "RESUMED", shard)
                    self.shard_ready(shard).set()
                elif op == 2:
                    assert frame["d"]["token"] == TOKEN
                    shard = await self._identify(ws, frame["d"])
                    if shard is None:
                        break
        finally:
            if shard is not None and self._conns.get(shard) is ws:
                del self._conns[shard]
                self.shard_ready(shard).clear()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> int | None:
        """READY and this shard's GUILD_CREATEs; None (and close 4010, Invalid shard) for a bad shard."""
        i, n = d.get("shard") or [0, 1]
        if n != self.shard_count or not 0 <= i < n:
            await ws.close(code=4010, message=b"Invalid shard")
            return None
        self.identify = d
        self.identifies.append(d)
        self._conns[i] = ws
        mine = [g for g in self.guilds.values() if i in self._shards_for(g.id) or g.id in self.everywhere]
        await self._send(0, {
            "v": 10, "user": self.bot_user, "session_id": f"fake-session-{i}",
            "resume_gateway_url": self.gateway, "shard": [i, n],
            "guilds": [{"id": str(g.id), "unavailable": True} for g in mine],
            "application": {"id": str(APP_ID), "flags": 0},
        }, "READY", i)
        for guild in mine:
            await self._send(0, self._guild_payload(guild), "GUILD_CREATE", i)
        self.shard_ready(i).set()
        return i

    # --- driving the bot ----------------------------------------------------------------------------
    async def user_message(
        self,
        channel: Channel,
        author: User,
        content: str,
        *,
        reply_to: dict[str, Any] | None = None,
        mention_bot: bool = False,
    ) -> dict[str, Any]:
        """A member posts a message; MESSAGE_CREATE is dispatched and the payload returned."""
        if mention_bot:
            content = f"<@{BOT_ID}> {content}"
        mid = self.next_id()
        msg = self._message(mid, channel, author.payload(), content)
        if mention_bot:
            msg["mentions"] = [self.bot_user]
        if "@everyone" in content or "@here" in content:
            msg["mention_everyone"] = True
        if reply_to is not None:
            msg["type"] = 19
            msg["message_reference"] = {"message_id": reply_to["id"], "channel_id": str(channel.id),
                                        "type": 0}
            if channel.guild_id:
                msg["message_reference"]["guild_id"] = str(channel.guild_id)
            msg["referenced_message"] = reply_to
        if channel.guild_id:
            msg["member"] = self._member_payload(self.guilds[channel.guild_id], author.id, False)
        self.messages[mid] = msg
        self.dispatched[str(mid)] = time.monotonic()
        await self.dispatch("MESSAGE_CREATE", msg)
        return msg

    def _message(self, mid: int, channel: Channel, author: dict[str, Any], content: str) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "id": str(mid), "channel_id": str(channel.id), "author": author, "content": content,
            "timestamp": _now(), "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": False,
            "type": 0, "flags": 0, "components": [],
        }
        if channel.guild_id:
            msg["guild_id"] = str(channel.guild_id)
        return msg

    def _interaction_base(self, itype: int, channel: Channel, user: User) -> Interaction:
        iid = self.next_id()
        token = f"itoken-{iid}"
        data: dict[str, Any] = {
            "id": str(iid), "application_id": str(APP_ID), "type": itype, "token": token,
            "version": 1, "channel_id": str(channel.id), "channel": channel.payload(),
            "locale": "en-US", "entitlements": [], "attachment_size_limit": 26214400,
            "app_permissions": str((1 << 53) - 1), "context": 0 if channel.guild_id else 1,
        }
        if channel.guild_id:
            guild = self.guilds[channel.guild_id]
            member = self._member_payload(guild, user.id)
            member["permissions"] = str(guild.permissions(user.id))
            data.update(guild_id=str(guild.id), member=member, guild_locale="en-US",
                        authorizing_integration_owners={"0": str(guild.id)})
        else:
            data.update(user=user.payload(), authorizing_integration_owners={"1": str(user.id)})
        inter = Interaction(iid, token, data)
        self.interactions[token] = inter
        return inter

    def _command_schema(self, guild_id: int | None, path: list[str]) -> dict[str, Any]:
        for scope in (guild_id, None):
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == path[0]:
                    node = cmd
                    for name in path[1:]:
                        node = next(o for o in node.get("options", []) if o["name"] == name)
                    return node
        raise KeyError(f"command /{' '.join(path)} was never synced")

    async def slash(
        self, channel: Channel, user: User, command: str, /, **options: Any
    ) -> str:
        """Invoke `/command [sub ...]` with options; returns the interaction token."""
        path = command.split()
        inter = self._interaction_base(2, channel, user)
        top = self._command_schema(channel.guild_id, path[:1])
        schema = self._command_schema(channel.guild_id, path)
        resolved: dict[str, dict[str, Any]] = {}
        opts = []
        for name, value in options.items():
            if value is None:
                continue
            spec = next((o for o in schema.get("options", []) if o["name"] == name), None)
            if spec is None:
                raise KeyError(f"/{command} has no option {name!r}")
            otype = spec["type"]
            if isinstance(value, Attachment):
                resolved.setdefault("attachments", {})[str(value.id)] = value.payload()
                value = str(value.id)
            elif isinstance(value, User):
                resolved.setdefault("users", {})[str(value.id)] = value.payload()
                if channel.guild_id:
                    m = self._member_payload(self.guilds[channel.guild_id], value.id, False)
                    m["permissions"] = "0"
                    resolved.setdefault("members", {})[str(value.id)] = m
                value = str(value.id)
            elif isinstance(value, Channel):
                p = value.payload()
                p["permissions"] = str((1 << 53) - 1)
                resolved.setdefault("channels", {})[str(value.id)] = p
                value = str(value.id)
            elif isinstance(value, Role):
                resolved.setdefault("roles", {})[str(value.id)] = value.payload(1)
                value = str(value.id)
            opts.append({"name": name, "type": otype, "value": value})
        for name in reversed(path[1:]):
            node = self._command_schema(channel.guild_id, path[: path.index(name) + 1])
            opts = [{"name": name, "type": node["type"], "options": opts}]
        data: dict[str, Any] = {"id": top["id"], "name": path[0], "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        if channel.guild_id:
            data["guild_id"] = str(channel.guild_id)
        inter.payload["data"] = data
        self.dispatched[inter.token] = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.token

    async def submit_modal(self, modal: Call, user: User, values: list[str]) -> str:
        """Submit the modal the bot opened (a type 9 callback) with `values` for its text inputs, in order."""
        opened = self.interactions[modal.token or ""].payload
        channel = self.channels[int(opened["channel_id"])]
        inter = self._interaction_base(5, channel, user)
        form = modal.payload["data"]
        answers = iter(values)
        rows = []
        for row in form["components"]:
            if row["type"] == 18:  # a Label wrapping one input
                rows.append({"type": 18, "component": {**_input(row["component"]), "value": next(answers)}})
            else:
                rows.append({"type": 1, "components": [{**_input(c), "value": next(answers)} for c in row["components"]]})
        inter.payload["data"] = {"custom_id": form["custom_id"], "components": rows}
        if "message" in opened:
            inter.payload["message"] = self.messages.get(int(opened["message"]["id"]), opened["message"])
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.token

    async def click(self, message: dict[str, Any], custom_id: str, user: User) -> str:
        """Press a button on one of the bot's messages; returns the interaction token."""
        channel = self.channels[int(message["channel_id"])]
        inter = self._interaction_base(3, channel, user)
        inter.payload["data"] = {"custom_id": custom_id, "component_type": 2}
        inter.payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", inter.payload)
        return inter.token

    # --- REST ----------------------------------------------------------------------------------------
    async def _attachment(self, request: web.Request) -> web.Response:
        att = self.attachments.get(int(request.match_info["id"]))
        if att is None:
            return web.Response(status=404)
        return web.Response(body=att.data, headers={"Content-Type": att.content_type})

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            files: list[tuple[str, bytes]] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    files.append((part.filename or part.name or "file", await part.read()))
            return payload, files
        if request.can_read_body:
            raw = await request.read()
            return (json.loads(raw) if raw else {}), []
        return {}, []

    def _bot_message(self, channel_id: int, payload: dict[str, Any], files: list[tuple[str, bytes]],
                     interaction: dict[str, Any] | None = None) -> dict[str, Any]:
        channel = self.channels.get(channel_id) or Channel(channel_id, "?", None)
        msg = self._message(self.next_id(), channel, self.bot_user, payload.get("content") or "")
        self._apply(msg, payload, files)
        ref = payload.get("message_reference")
        if ref:
            msg["type"] = 19
            msg["message_reference"] = {"message_id": str(ref["message_id"]),
                                        "channel_id": str(ref.get("channel_id") or channel_id)}
            if channel.guild_id:
                msg["message_reference"]["guild_id"] = str(channel.guild_id)
        if interaction is not None:
            msg["interaction_metadata"] = {"id": interaction["id"], "type": interaction["type"],
                                           "user": interaction.get("member", interaction).get("user"),
                                           "authorizing_integration_owners": {}}
            msg["application_id"] = str(APP_ID)
            msg["webhook_id"] = str(APP_ID)
        self.messages[int(msg["id"])] = msg
        return msg

    def _apply(self, msg: dict[str, Any], payload: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
        for key in ("content", "embeds", "components"):
            if key in payload:
                msg[key] = payload[key] if payload[key] is not None else ([] if key != "content" else "")
        if "flags" in payload and payload["flags"] is not None:
            msg["flags"] = payload["flags"]
        if files:
            msg["attachments"] = []
            for name, data in files:
                att = self.add_attachment(name, data, "application/octet-stream")
                msg["attachments"].append(att.payload())

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        tail = "/" + request.match_info["tail"]
        method = request.method
        parts = tail.strip("/").split("/")
        payload, files = await self._body(request)

        if method == "GET" and tail == "/users/@me" and request.headers.get("Authorization", "").startswith("Bearer "):
            user = self._oauth_user(request)
            if user is None:
                return _json({"message": "401: Unauthorized", "code": 0}, 401)
            return _json({**user.payload(), "locale": "en-US", "mfa_enabled": False, "flags": 0})
        if method == "GET" and tail == "/users/@me":
            if request.headers.get("Authorization") != f"Bot {TOKEN}":
                return _json({"message": "401: Unauthorized", "code": 0}, 401)
            return _json(self.bot_user)
        if method == "GET" and parts[0] == "guilds" and len(parts) in (3, 4) and parts[2] in ("members", "roles"):
            # a guild's member (their role ids) and its roles, as the bot reads them
            if request.headers.get("Authorization") != f"Bot {TOKEN}":
                return _json({"message": "401: Unauthorized", "code": 0}, 401)
            guild = self.guilds.get(int(parts[1])) if parts[1].isdigit() else None
            if guild is None:
                return _json({"message": "Unknown Guild", "code": 10004}, 404)
            if parts[2] == "roles" and len(parts) == 3:
                return _json([r.payload(i) for i, r in enumerate(guild.roles)])
            uid = int(parts[3]) if len(parts) == 4 and parts[3].isdigit() else None
            if uid is None or uid not in guild.members:
                return _json({"message": "Unknown Member", "code": 10007}, 404)
            return _json(self._member_payload(guild, uid))
        if method == "GET" and tail in ("/oauth2/applications/@me", "/applications/@me"):
            return _json({
                "id": str(APP_ID), "name": "ragcord", "description": "", "icon": None,
                "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                "owner": {**self.bot_user, "bot": False, "id": str(self.next_id())},
                "flags": 0, "team": None, "summary": "", "rpc_origins": [],
            })
        if method == "GET" and tail in ("/gateway", "/gateway/bot"):
            return _json({"url": self.gateway, "shards": self.shard_count, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})

        # application commands
        if parts[:1] == ["applications"] and parts[-1] == "commands":
            scope = int(parts[3]) if "guilds" in parts else None
            if method == "PUT":
                out = []
                for cmd in payload:  # type: ignore[union-attr]
                    out.append({"id": str(self.next_id()), "application_id": str(APP_ID),
                                "version": "1", "type": 1, "options": [], "description": "", **cmd,
                                **({"guild_id": str(scope)} if scope else {})})
                self.commands[scope] = out
                await self._record(Call("commands_sync", method, tail, {"commands": out}))
                return _json(out)
            return _json(self.commands.get(scope, []))

        # channels
        if parts[0] == "channels":
            cid = int(parts[1])
            if method == "POST" and parts[2:] == ["threads"]:
                parent = self.channels[cid]
                thread = Channel(self.next_id(), payload["name"], parent.guild_id, int(payload.get("type") or 11),
                                 parent_id=cid, owner_id=BOT_ID, members={BOT_ID})
                self.channels[thread.id] = thread
                self.guilds[parent.guild_id or 0].threads.append(thread)
                data = thread.payload()
                await self._record(Call("thread_create", method, tail, payload, channel_id=cid,
                                        message_id=thread.id, message=data))
                await self.dispatch("THREAD_CREATE", {**data, "newly_created": True})
                return _json(data)
            if method == "PUT" and len(parts) == 4 and parts[2] == "thread-members":
                self.channels[cid].members.add(int(parts[3]))
                await self._record(Call("thread_member_add", method, tail, {"user_id": parts[3]}, channel_id=cid))
                return web.Response(status=204)
            if method == "GET" and parts[2:] == ["messages"]:
                limit = int(request.query.get("limit", 50))
                before = int(request.query.get("before", 1 << 63))
                after = int(request.query.get("after", 0))
                found = sorted((m for i, m in self.messages.items() if m["channel_id"] == str(cid)
                                and after < i < before and not (m.get("flags") or 0) & 64),  # not ephemeral
                               key=lambda m: -int(m["id"]))
                return _json(found[:limit])
            if method == "POST" and parts[2:] == ["typing"]:
                await self._record(Call("typing", method, tail, {}, channel_id=cid))
                return web.Response(status=204)
            if method == "POST" and parts[2:] == ["messages"]:
                msg = self._bot_message(cid, payload, files)
                await self._record(Call("message_create", method, tail, payload, files, cid,
                                        int(msg["id"]), message=msg))
                return _json(msg)
            if len(parts) == 4 and parts[2] == "messages":
                mid = int(parts[3])
                msg = self.messages.get(mid)
                if msg is None:
                    return _json({"message": "Unknown Message", "code": 10008}, 404)
                if method == "GET":
                    return _json(msg)
                if method == "PATCH":
                    self._apply(msg, payload, files)
                    msg["edited_timestamp"] = _now()
                    await self._record(Call("message_edit", method, tail, payload, files, cid, mid,
                                            message=dict(msg)))
                    return _json(msg)
                if method == "DELETE":
                    self.messages.pop(mid, None)
                    await self._record(Call("message_delete", method, tail, {}, [], cid, mid))
                    return web.Response(status=204)

        # interaction callbacks: POST /interactions/{id}/{token}/callback?with_response=1
        if parts[0] == "interactions" and parts[-1] == "callback":
            token = parts[2]
            inter = self.interactions[token].payload
            rtype = payload.get("type")
            data = payload.get("data") or {}
            call = Call("callback", method, tail, payload, files, int(inter["channel_id"]), token=token)
            response: dict[str, Any] = {"interaction": {
                "id": inter["id"], "type": inter["type"],
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            }}
            if rtype == 6:  # deferred update: @original is the message the component is on
                inter["_original"] = inter["message"]["id"]
            if rtype in (4, 5):
                msg = self._bot_message(int(inter["channel_id"]), data, files, inter)
                if rtype == 5:
                    msg["flags"] = (data.get("flags") or 0) | 128
                inter["_original"] = msg["id"]
                response["interaction"]["response_message_id"] = msg["id"]
                response["resource"] = {"type": rtype, "message": msg}
                call.message, call.message_id = msg, int(msg["id"])
            elif rtype == 7:
                msg = self.messages[int(inter["message"]["id"])]
                self._apply(msg, data, files)
                response["resource"] = {"type": 7, "message": msg}
                call.message, call.message_id = msg, int(msg["id"])
            await self._record(call)
            return _json(response)

        # webhooks: follow-ups and edits of the original response
        if parts[0] == "webhooks" and len(parts) >= 3:
            token = parts[2]
            inter = self.interactions.get(token)
            if inter is None:
                return _json({"message": "Unknown Webhook", "code": 10015}, 404)
            ip = inter.payload
            if method == "POST" and len(parts) == 3:
                msg = self._bot_message(int(ip["channel_id"]), payload, files, ip)
                await self._record(Call("followup", method, tail, payload, files,
                                        int(ip["channel_id"]), int(msg["id"]), token, message=msg))
                return _json(msg)
            if len(parts) == 5 and parts[3] == "messages":
                ref = parts[4]
                mid = int(ip["_original"]) if ref == "@original" else int(ref)
                msg = self.messages.get(mid)
                if msg is None:
                    return _json({"message": "Unknown Message", "code": 10008}, 404)
                if method == "GET":
                    return _json(msg)
                if method == "PATCH":
                    self._apply(msg, payload, files)
                    msg["flags"] = msg.get("flags", 0) & ~128
                    await self._record(Call("followup_edit", method, tail, payload, files,
                                            int(ip["channel_id"]), mid, token, message=dict(msg)))
                    return _json(msg)
                if method == "DELETE":
                    self.messages.pop(mid, None)
                    return web.Response(status=204)

        self.unknown.append(f"{method} {tail}")
        return _json({"message": "404: Not Found", "code": 0}, 404)


    # --- OAuth2 (the console's "Log in with Discord") ----------------------------------------------
    def _oauth_user(self, request: web.Request) -> User | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        uid = self.oauth.tokens.get(token)
        return self.users.get(uid) if uid is not None else None

    async def _oauth_authorize(self, request: web.Request) -> web.StreamResponse:
        """The consent screen, answered at once by `oauth.consenting` (or denied when nobody is set)."""
        q = request.query
        redirect_uri, state = q.get("redirect_uri", ""), q.get("state")
        await self._record(Call("oauth_authorize", "GET", request.path, dict(q)))
        if q.get("client_id") != self.oauth.client_id or not redirect_uri or q.get("response_type") != "code":
            return _json({"message": "Invalid OAuth2 request", "code": 50035}, 400)
        params: dict[str, str] = {}
        if self.oauth.consenting is None:
            params["error"] = "access_denied"
        else:
            code = f"code-{self.next_id()}"
            self.oauth.codes[code] = (self.oauth.consenting.id, redirect_uri, q.get("scope", ""))
            params["code"] = code
        if state is not None:
            params["state"] = state
        sep = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(redirect_uri + sep + urlencode(params))

    async def _oauth_token(self, request: web.Request) -> web.Response:
        """Authorization code -> access token; the client is checked by form fields or HTTP Basic."""
        form = dict(await request.post())
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        await self._record(Call("oauth_token", "POST", request.path, {k: str(v) for k, v in form.items()}))
        if (client_id, secret) != (self.oauth.client_id, self.oauth.client_secret):
            return _json({"error": "invalid_client"}, 401)
        grant = self.oauth.codes.pop(str(form.get("code", "")), None)  # a code is good once
        if form.get("grant_type") != "authorization_code" or grant is None or grant[1] != form.get("redirect_uri"):
            return _json({"error": "invalid_grant", "error_description": "Invalid \"code\" in request."}, 400)
        token = f"access-{self.next_id()}"
        self.oauth.tokens[token] = grant[0]
        return _json({"access_token": token, "token_type": "Bearer", "expires_in": 604800,
                      "refresh_token": f"refresh-{self.next_id()}", "scope": grant[2]})

    async def _oauth_guilds(self, request: web.Request) -> web.Response:
        """The user's guilds as Discord lists them: partial guilds with `permissions` as a string."""
        user = self._oauth_user(request)
        uid = user.id if user is not None else (BOT_ID if request.headers.get("Authorization") == f"Bot {TOKEN}" else None)
        if uid is None:
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return _json([{"id": str(g.id), "name": g.name, "icon": None, "banner": None, "owner": g.owner_id == uid,
                       "permissions": str(g.permissions(uid)), "features": []}
                      for g in self.guilds.values() if uid in g.members])


@dataclass
class OAuth:
    """The OAuth2 application the console logs in with, and who consents on the authorize page."""

    client_id: str = "900000000000000002"
    client_secret: str = "fake-oauth-secret"
    consenting: User | None = None
    codes: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # code -> (user id, redirect_uri, scope)
    tokens: dict[str, int] = field(default_factory=dict)  # access token -> user id


def _input(component: dict[str, Any]) -> dict[str, Any]:
    return {"type": component["type"], "custom_id": component["custom_id"]}
