"""URL ingest cannot reach loopback, private, link-local, metadata or other non-public hosts."""
from __future__ import annotations

import ipaddress

import pytest

from retrieval.errors import IngestError
from retrieval.loaders import load
from retrieval.urlsafety import Allowlist, UnsafeURL, blocked_reason, check_url, fetch
from tests.security.conftest import Route, Web

LOCAL = ["127.0.0.1"]


def fixed(mapping: dict[str, list[str]]):
    """A resolver answering from `mapping` (and failing for anything else)."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise IngestError(f"could not fetch URL: cannot resolve host {host!r}")
        return mapping[host]

    return resolve


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.1.2.3", "loopback"), ("::1", "loopback"),
    ("10.0.0.5", "private"), ("172.16.3.4", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"),
    ("169.254.10.10", "link-local"), ("fe80::1", "link-local"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("240.0.0.1", "reserved"), ("100.64.0.1", "not a public"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.1.1.1", "private"),
])
def test_non_public_addresses_are_blocked(address: str, reason: str) -> None:
    assert reason in (blocked_reason(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::6810:85e5", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("url", "message"), [
    ("http://127.0.0.1/", "refused 127.0.0.1: a loopback address"),
    ("http://10.1.2.3/admin", "refused 10.1.2.3: a private address"),
    ("http://169.254.169.254/latest/meta-data/", "refused 169.254.169.254: a cloud metadata address"),
    ("http://[fd00:ec2::254]/latest/", "a cloud metadata address"),
    ("http://metadata.google.internal/computeMetadata/v1/", "refused metadata.google.internal (a cloud metadata"),
    ("http://[::1]:8080/", "a loopback address"),
    ("http://0x7f000001/", "loopback"),  # resolvers accept hex IPv4
    ("http://2130706433/", "loopback"),  # and decimal
    ("ftp://example.org/file.txt", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http://user:pw@example.org/", "user names or passwords"),
])
def test_dangerous_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(IngestError, match="^could not fetch URL") as info:
        check_url(url, Allowlist(), fixed({"0x7f000001": ["127.0.0.1"], "2130706433": ["127.0.0.1"],
                                           "example.org": ["93.184.216.34"]}))
    assert message in str(info.value)


def test_a_name_resolving_to_any_private_address_is_refused() -> None:
    resolve = fixed({"mixed.test": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(UnsafeURL, match=r"mixed\.test \(10\.0\.0\.7\): a private address"):
        check_url("https://mixed.test/", Allowlist(), resolve)
    target = check_url("https://public.test/x?y=1", Allowlist(), fixed({"public.test": ["93.184.216.34"]}))
    assert target.ip == "93.184.216.34" and target.pinned_url == "https://93.184.216.34:443/x?y=1"
    assert target.host_header == "public.test"


def test_allowlist_by_host_and_by_network() -> None:
    resolve = fixed({"intranet.corp": ["10.20.0.4"], "wiki.corp": ["10.30.0.9"]})
    assert check_url("http://intranet.corp/", Allowlist.parse(["intranet.corp"]), resolve).ip == "10.20.0.4"
    assert check_url("http://wiki.corp/", Allowlist.parse(["10.30.0.0/16"]), resolve).ip == "10.30.0.9"
    with pytest.raises(UnsafeURL):
        check_url("http://wiki.corp/", Allowlist.parse(["intranet.corp", "10.20.0.0/16"]), resolve)


def test_loader_refuses_local_server_without_allowlist(web: Web) -> None:
    web.routes["/doc"] = Route(body=b"Local secrets.")
    with pytest.raises(IngestError, match=r"^could not fetch URL: refused 127\.0\.0\.1: a loopback address"):
        load(f"{web.base}/doc")
    assert web.seen == []  # refused before any connection
    assert load(f"{web.base}/doc", url_allowlist=LOCAL).text == "Local secrets."


@pytest.mark.parametrize("location", [
    "http://10.0.0.1/internal", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://metadata.google.internal/", "file:///etc/passwd", "gopher://127.0.0.1:25/",
])
def test_every_redirect_hop_is_checked(web: Web, location: str) -> None:
    web.routes["/go"] = Route(status=302, headers={"Location": location})
    with pytest.raises(IngestError, match="^could not fetch URL: (refused|only http)"):
        fetch(f"{web.base}/go", max_bytes=10_000, timeout=5, allowlist=LOCAL)
    assert [s["path"] for s in web.seen] == ["/go"]


def test_redirect_loops_and_chains_are_capped(web: Web) -> None:
    web.routes["/a"] = Route(status=302, headers={"Location": "/b"})
    web.routes["/b"] = Route(status=301, headers={"Location": "/a"})
    with pytest.raises(IngestError, match="^could not fetch URL: more than 3 redirects"):
        fetch(f"{web.base}/a", max_bytes=1000, timeout=5, allowlist=LOCAL, max_redirects=3)


def test_connects_to_the_validated_address_with_the_original_host(web: Web) -> None:
    """DNS rebinding: the name is resolved once, and the socket goes to that address."""
    web.routes["/page"] = Route(body=b"Pinned.", content_type="text/plain")
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    got = fetch(f"http://docs.rebind.test:{web.port}/page", max_bytes=1000, timeout=5,
                allowlist=["127.0.0.1"], resolver=resolve)
    assert got.body == b"Pinned." and calls == ["docs.rebind.test"]
    assert web.seen[-1]["host"] == f"docs.rebind.test:{web.port}"  # Host header kept; system DNS never asked


def test_streamed_body_is_cut_at_the_limit(web: Web) -> None:
    web.routes["/endless"] = Route(body=b"y" * 65536, chunks=400)  # 26 MB, no Content-Length
    with pytest.raises(IngestError, match=r"^could not fetch URL: response too large \(limit 100000 bytes\)"):
        fetch(f"{web.base}/endless", max_bytes=100_000, timeout=10, allowlist=LOCAL)


def test_declared_oversize_is_refused_before_reading(web: Web) -> None:
    web.routes["/huge"] = Route(body=b"z" * 5000)
    with pytest.raises(IngestError, match=r"response too large \(5000 bytes, limit 100\)"):
        fetch(f"{web.base}/huge", max_bytes=100, timeout=5, allowlist=LOCAL)


def test_content_type_is_checked(web: Web) -> None:
    web.routes["/bin"] = Route(body=b"\x7fELF\x02\x01", content_type="application/x-executable")
    with pytest.raises(IngestError, match="^unsupported content type 'application/x-executable'"):
        load(f"{web.base}/bin", url_allowlist=LOCAL)


def test_unresolvable_host_is_one_line() -> None:
    with pytest.raises(IngestError, match="^could not fetch URL: cannot resolve host 'no-such-host.invalid'"):
        load("http://no-such-host.invalid/x")


def test_peer_address_is_checked_after_connecting() -> None:
    from retrieval.urlsafety import Target, _check_peer

    class Stream:
        def __init__(self, ip: str) -> None:
            self.ip = ip

        def get_extra_info(self, name: str) -> tuple[str, int]:
            return (self.ip, 80)

    class Response:
        def __init__(self, ip: str) -> None:
            self.extensions = {"network_stream": Stream(ip)}

    target = Target(url="http://docs.test/", scheme="http", host="docs.test", port=80, ip="93.184.216.34")
    _check_peer(Response("93.184.216.34"), target, Allowlist())  # the validated address: fine
    with pytest.raises(UnsafeURL, match="connected to 10.0.0.1, not the validated 93.184.216.34"):
        _check_peer(Response("10.0.0.1"), target, Allowlist())
