"""The `ragcord` program: the terminal front end's commands plus `run`, which starts the Discord bot.

Front ends never import each other; this is the one module that puts them side by side.
"""
from __future__ import annotations

import asyncio
import os

import typer

from bot.core.config import Settings
from bot.frontends.cli.app import app, err, main, run


@app.command("run")
def run_discord(
    ctx: typer.Context,
    console: bool = typer.Option(False, "--console", help="also serve the moderator web console"),
) -> None:
    """Run the Discord bot (token from DISCORD_TOKEN or the config file)."""
    settings: Settings = ctx.obj
    token = os.environ.get("DISCORD_TOKEN")
    if token and settings.discord.token is None:
        from pydantic import SecretStr

        settings = settings.updated(**{"discord.token": SecretStr(token)})
    try:
        from bot.frontends.discord.client import run_bot
    except ImportError as exc:
        err.print(f"[red]error:[/] the Discord front end is not available: {exc}")
        raise typer.Exit(1) from None
    if not console:
        run(lambda: run_bot(settings))
        return
    from bot.frontends.console.server import serve

    async def both() -> None:
        await asyncio.gather(run_bot(settings), serve(settings, say=err.print))

    run(both)


@app.command("console")
def run_console(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="address to listen on [setting console.host, 127.0.0.1]"),
    port: int | None = typer.Option(None, help="port [setting console.port, 8765]"),
) -> None:
    """Serve the moderator web console (conversations, flags, unanswered topics, curated answers, documents)."""
    from bot.frontends.console.server import serve

    run(lambda: serve(ctx.obj, host, port, say=err.print))


__all__ = ["main"]

if __name__ == "__main__":
    main()
