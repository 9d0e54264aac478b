"""Who is asking: the local admin token, signed session cookies, CSRF tokens, Discord permissions."""
from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "ragcord_session"
MAX_AGE_S = 12 * 3600
MANAGE_MESSAGES = 1 << 13
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3


@dataclass(frozen=True)
class Principal:
    name: str
    everything: bool = False  # the admin token sees every scope
    moderates: tuple[str, ...] = ()  # scopes where this user has Manage Messages
    administers: tuple[str, ...] = ()  # scopes where this user has Manage Server

    def can_see(self, scope: str) -> bool:
        return self.everything or scope in self.moderates or scope in self.administers

    def can_admin(self, scope: str) -> bool:
        return self.everything or scope in self.administers


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    principal: Principal | None = None
    oauth_state: str | None = None


def _secret_file(path: Path, make: str) -> str:
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(make)
    return make


def admin_token(data_dir: Path, configured: str | None) -> tuple[str, bool]:
    """The admin token and whether it was just generated (then print it once)."""
    if configured:
        return configured, False
    path = data_dir / "console_token"
    existed = path.is_file()
    return _secret_file(path, secrets.token_urlsafe(32)), not existed


class Signer:
    """Sessions as signed cookie values (itsdangerous); the key lives in the data dir (0600)."""

    def __init__(self, data_dir: Path) -> None:
        self._s = URLSafeTimedSerializer(_secret_file(data_dir / "console_secret", secrets.token_hex(32)),
                                         salt="ragcord-console")

    def dumps(self, session: Session) -> str:
        p = session.principal
        data: dict[str, object] = {"c": session.csrf, "st": session.oauth_state}
        if p is not None:
            data["p"] = [p.name, p.everything, list(p.moderates), list(p.administers)]
        return self._s.dumps(data)

    def loads(self, raw: str | None) -> Session | None:
        if not raw:
            return None
        try:
            data = self._s.loads(raw, max_age=MAX_AGE_S)
        except BadSignature:
            return None
        p = data.get("p")
        principal = Principal(p[0], bool(p[1]), tuple(p[2]), tuple(p[3])) if p else None
        return Session(csrf=str(data["c"]), principal=principal, oauth_state=data.get("st"))


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def discord_principal(user: dict[str, object], guilds: list[dict[str, object]]) -> Principal:
    """Scopes from `/users/@me/guilds`: Manage Messages → moderator, Manage Server → admin."""
    mods: list[str] = []
    admins: list[str] = []
    for g in guilds:
        perms = int(str(g.get("permissions") or 0))
        every = bool(g.get("owner")) or bool(perms & ADMINISTRATOR)
        scope = f"guild:{g.get('id')}"
        if every or perms & MANAGE_MESSAGES:
            mods.append(scope)
        if every or perms & MANAGE_GUILD:
            admins.append(scope)
    name = str(user.get("username") or user.get("id") or "discord user")
    return Principal(f"{name} ({user.get('id')})", False, tuple(mods[:100]), tuple(admins[:100]))
