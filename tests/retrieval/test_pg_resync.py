"""The re-sync tests of test_resync.py, run again with the knowledge base (and so the re-sync
state) in PostgreSQL: same local HTTP server, same counting MiniLM, same assertions."""
from __future__ import annotations

import pytest

from retrieval.config import Limits, RetrievalConfig
from retrieval.pg.knowledge_base import PgKnowledgeBase
from retrieval.pg.sync_store import PgSyncStore, pg_sync_scopes
from retrieval.resync import Resyncer
from tests.retrieval.test_resync import (  # noqa: F401 - fixtures and tests collected here again
    LOCAL,
    Clock,
    CountingEmbedder,
    Site,
    counting,
    site,
    test_changed_page_reembeds_only_that_page,
    test_failing_url_records_error_backs_off_and_does_not_block_others,
    test_first_sync_embeds_then_unchanged_sync_uses_304_and_embeds_nothing,
    test_page_answering_404_twice_is_removed,
    test_page_removed_from_sitemap_is_removed_from_the_index,
    test_pages_still_backing_off_are_skipped_by_due_only_runs,
    test_server_without_validators_same_body_is_unchanged_by_hash,
    three_pages,
)


@pytest.fixture()
def kb(pg_url: str, counting: CountingEmbedder) -> PgKnowledgeBase:  # noqa: F811 - the imported fixture
    config = RetrievalConfig(limits=Limits(url_allowlist=LOCAL, url_timeout_s=5))
    return PgKnowledgeBase(pg_url, "global", counting, config)  # type: ignore[arg-type]


def test_sync_state_lives_in_postgres_per_scope(site: Site, kb: PgKnowledgeBase) -> None:  # noqa: F811
    three_pages(site)
    resync = Resyncer(kb, clock=Clock())
    assert isinstance(resync.store, PgSyncStore)
    resync.add(f"{site.base}/sitemap.xml", every_s=3600)
    assert resync.run().changed == 3
    assert pg_sync_scopes(kb.connections) == ["global"]
    assert len(PgSyncStore(kb.connections, "global").pages()) == 3
    other = PgSyncStore(kb.connections, "guild:1")
    assert other.sources() == [] and other.pages() == [] and other.page(f"{site.base}/a") is None
