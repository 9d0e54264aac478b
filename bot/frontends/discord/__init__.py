"""Discord front end (discord.py): client, cogs, views and rendering."""
