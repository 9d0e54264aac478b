"""Request ids on log lines: JSON lines, nested scopes, worker threads, tasks, text mode untouched."""
from __future__ import annotations

import asyncio
import json
import logging

from bot.services.requestlog import TEXT_FORMAT, configure_logging, current_request_id, request_scope


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def logger_with(fmt: str, name: str) -> tuple[logging.Logger, Collect]:
    logger = logging.getLogger(f"tests.requestlog.{name}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = Collect()
    handler.setFormatter(logging.Formatter(TEXT_FORMAT + " [%(request_id)s]"))
    logger.handlers = [handler]
    configure_logging(fmt, logger)
    return logger, handler


async def test_json_lines_carry_the_request_id_into_threads_and_tasks() -> None:
    logger, handler = logger_with("json", "json")
    logger.info("outside")
    with request_scope("q-1"):
        logger.warning("in the core")
        await asyncio.to_thread(logger.info, "in a worker thread")
        await asyncio.create_task(asyncio.to_thread(logger.info, "in a task's thread"))
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    assert current_request_id() is None  # the scope ended with the question
    lines = [json.loads(line) for line in handler.lines]
    assert [line["request_id"] for line in lines] == ["-", "q-1", "q-1", "q-1", "q-1"]
    assert lines[1] == {**lines[1], "level": "WARNING", "logger": "tests.requestlog.json", "message": "in the core"}
    assert "ValueError: boom" in lines[-1]["exception"]


async def test_each_scope_gets_a_fresh_id_and_text_format_is_kept() -> None:
    logger, handler = logger_with("text", "text")
    with request_scope() as first:
        logger.info("one")
    with request_scope() as second:
        logger.info("two")
    assert first != second
    assert handler.lines == [f"INFO tests.requestlog.text: one [{first}]", f"INFO tests.requestlog.text: two [{second}]"]
