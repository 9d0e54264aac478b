"""The moderator web console (`ragcord console`): FastAPI + Jinja2 pages and a JSON API over the store."""
