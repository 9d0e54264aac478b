"""Fetch a URL for ingestion without letting it reach the machine's own network (SSRF).

Rules, applied to the first URL and again to every redirect hop (redirects are followed here,
by hand, never by the HTTP client):

- only http and https;
- the host is resolved once; every address it resolves to must be public — loopback, private,
  link-local, multicast, reserved, unspecified, shared (CGNAT) and cloud-metadata addresses
  (169.254.169.254, fd00:ec2::254, metadata.google.internal) are refused unless an admin
  allow-list entry (a host name, an IP or a CIDR) permits that host;
- the connection goes to the address that was validated (the URL is rewritten to the IP, the
  Host header and TLS SNI/certificate check keep the name), so a DNS answer that changes
  between the check and the connect (rebinding) cannot redirect it; the peer address is
  checked again after connecting;
- the body is streamed and cut off at `max_bytes`; the whole fetch has one deadline.

Every refusal raises IngestError with one line ("could not fetch URL: ...").
"""
from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

from .errors import IngestError, one_line

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data"})
METADATA_IPS = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                          ipaddress.ip_address("100.100.100.200")})
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


class UnsafeURL(IngestError):
    """The URL (or a redirect) points somewhere ragcord must not fetch from."""


class HTTPStatusError(IngestError):
    """The server answered with an HTTP error (4xx/5xx); `status` says which."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6), via the system resolver."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise IngestError(f"could not fetch URL: cannot resolve host {host!r} ({one_line(exc, 80)})") from None
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


@dataclass(frozen=True)
class Allowlist:
    """Admin exceptions: host names (exact, case-insensitive) and IP networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        hosts: set[str] = set()
        networks = []
        for raw in entries:
            entry = raw.strip().lower().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def permits_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def permits_ip(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


def blocked_reason(ip: IPAddress) -> str | None:
    """Why an address must not be fetched from, or None when it is public."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip in METADATA_IPS:
        return "a cloud metadata address"
    for attr, reason in (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    ):
        if getattr(ip, attr):
            return reason
    if not ip.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class Target:
    """One validated hop: where to connect and what to call it."""

    url: str  # the URL as the user (or a redirect) gave it
    scheme: str
    host: str  # the name, for Host / SNI
    port: int
    ip: str  # the validated address to connect to

    @property
    def pinned_url(self) -> str:
        parts = urlsplit(self.url)
        ip = f"[{self.ip}]" if ":" in self.ip else self.ip
        return urlunsplit((parts.scheme, f"{ip}:{self.port}", parts.path or "/", parts.query, ""))

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def check_url(url: str, allowlist: Allowlist, resolver: Resolver = system_resolver) -> Target:
    """Validate scheme and host, resolve it, and refuse non-public addresses (unless allowed)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"could not fetch URL: malformed URL ({one_line(exc, 80)})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL(f"could not fetch URL: only http and https are allowed, not {scheme or '(none)'!r}")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURL("could not fetch URL: the URL has no host")
    if parts.username or parts.password:
        raise UnsafeURL("could not fetch URL: URLs with user names or passwords are not allowed")
    port = port or (443 if scheme == "https" else 80)
    host_allowed = allowlist.permits_host(host)
    if host in METADATA_HOSTS and not host_allowed:
        raise UnsafeURL(f"could not fetch URL: refused {host} (a cloud metadata address)")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else resolver(host, port)
    if not addresses:
        raise UnsafeURL(f"could not fetch URL: host {host!r} has no address")
    for address in addresses:
        ip = ipaddress.ip_address(address)
        reason = blocked_reason(ip)
        if reason and not (host_allowed or allowlist.permits_ip(ip)):
            shown = host if host == address else f"{host} ({address})"
            raise UnsafeURL(f"could not fetch URL: refused {shown}: {reason} (an admin can allow it with url_allowlist)")
    return Target(url=url, scheme=scheme, host=host, port=port, ip=addresses[0])


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL (after redirects)
    content_type: str  # lower-case media type without parameters
    body: bytes
    hops: list[str] = field(default_factory=list)
    status: int = 200  # 304: not modified since the validators sent (body empty)
    etag: str | None = None  # the response's validators, for the next conditional GET
    last_modified: str | None = None


def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    allowlist: Sequence[str] | Allowlist = (),
    max_redirects: int = 5,
    resolver: Resolver = system_resolver,
    user_agent: str = "ragcord/0.1",
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET `url` under the rules in the module docstring. Raises IngestError on any failure.

    With `etag` / `last_modified` the GET is conditional (If-None-Match / If-Modified-Since);
    a 304 answer comes back as `Fetched(status=304, body=b"")`."""
    import httpx

    allowed = allowlist if isinstance(allowlist, Allowlist) else Allowlist.parse(allowlist)
    deadline = time.monotonic() + timeout
    hops: list[str] = []
    current = url
    try:
        with httpx.Client(follow_redirects=False, timeout=timeout, trust_env=False, verify=True) as client:
            for _ in range(max_redirects + 1):
                target = check_url(current, allowed, resolver)
                hops.append(current)
                headers = {"Host": target.host_header, "User-Agent": user_agent, "Accept-Encoding": "identity"}
                if etag:
                    headers["If-None-Match"] = etag
                if last_modified:
                    headers["If-Modified-Since"] = last_modified
                request = client.build_request(
                    "GET", target.pinned_url, headers=headers,
                    extensions={"sni_hostname": target.host, "timeout": _timeouts(deadline)},
                )
                response = client.send(request, stream=True)
                try:
                    _check_peer(response, target, allowed)
                    if response.status_code in REDIRECT_CODES:
                        location = response.headers.get("location")
                        if not location:
                            raise IngestError(f"could not fetch URL: HTTP {response.status_code} without a Location")
                        current = urljoin(current, location.strip())
                        continue
                    if response.status_code >= 400:
                        raise HTTPStatusError(f"could not fetch URL: HTTP {response.status_code} from {url}",
                                              response.status_code)
                    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    new_etag, new_modified = response.headers.get("etag"), response.headers.get("last-modified")
                    if response.status_code == 304:
                        return Fetched(url=current, content_type=content_type, body=b"", hops=hops, status=304,
                                       etag=new_etag or etag, last_modified=new_modified or last_modified)
                    body = _read_capped(response, max_bytes, deadline)
                    return Fetched(url=current, content_type=content_type, body=body, hops=hops,
                                   status=response.status_code, etag=new_etag, last_modified=new_modified)
                finally:
                    response.close()
            raise IngestError(f"could not fetch URL: more than {max_redirects} redirects")
    except IngestError:
        raise
    except httpx.TimeoutException:
        raise IngestError(f"could not fetch URL: no complete answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        reason = one_line(exc, 160) or type(exc).__name__
        raise IngestError(f"could not fetch URL: {reason}") from None


def _timeouts(deadline: float) -> dict[str, float]:
    left = max(0.05, deadline - time.monotonic())
    return {"connect": left, "read": left, "write": left, "pool": left}


def _check_peer(response: object, target: Target, allowed: Allowlist) -> None:
    """Re-validate the address actually connected to (defence in depth against rebinding)."""
    stream = getattr(response, "extensions", {}).get("network_stream")
    if stream is None:
        return
    try:
        peer = stream.get_extra_info("server_addr")
    except Exception:  # noqa: BLE001 - not every transport can tell
        return
    if not peer:
        return
    ip = ipaddress.ip_address(str(peer[0]).split("%")[0])
    if str(ip) != str(ipaddress.ip_address(target.ip)):
        raise UnsafeURL(f"could not fetch URL: connected to {ip}, not the validated {target.ip}")
    reason = blocked_reason(ip)
    if reason and not (allowed.permits_host(target.host) or allowed.permits_ip(ip)):
        raise UnsafeURL(f"could not fetch URL: refused {target.host} ({ip}): {reason}")


def _read_capped(response: object, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length")  # type: ignore[attr-defined]
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise IngestError(f"could not fetch URL: response too large ({declared} bytes, limit {max_bytes})")
    body = bytearray()
    for piece in response.iter_bytes():  # type: ignore[attr-defined] - decoded: the cap bounds decompression too
        body.extend(piece)
        if len(body) > max_bytes:
            raise IngestError(f"could not fetch URL: response too large (limit {max_bytes} bytes)")
        if time.monotonic() > deadline:
            raise IngestError("could not fetch URL: the download took too long")
    return bytes(body)
