"""The `ragcord` program: the terminal front end's commands plus `run`, which starts the Discord bot.

Front ends never import each other; this is the one module that puts them side by side.
"""
from __future__ import annotations

import os

import typer

from bot.core.config import Settings
from bot.frontends.cli.app import app, err, main, run


@app.command("run")
def run_discord(ctx: typer.Context) -> None:
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
    run(lambda: run_bot(settings))


__all__ = ["main"]

if __name__ == "__main__":
    main()
