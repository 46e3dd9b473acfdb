"""Fetching a URL to ingest: every hop, redirects included, must reach a public address."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from typing import Any
from urllib.parse import urlsplit

__all__ = ["NonPublicAddressError", "is_public", "open_url"]


class NonPublicAddressError(OSError):
    """A URL (or a redirect) leads to loopback, link-local, private or reserved space."""


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not 127/8, 10/8, 169.254/16, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _public_connection(
    address: tuple[str, int], timeout: Any = None, source: Any = None
) -> socket.socket:
    """Resolve once, refuse any non-public answer, then connect to the very address checked
    (a second lookup could be answered differently: DNS rebinding)."""
    host, port = address
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in found:
        if not is_public(str(sockaddr[0])):
            raise NonPublicAddressError(f"{host} resolves to {sockaddr[0]}, not a public address")
    error: OSError = OSError(f"{host} has no address")
    for *_, sockaddr in found:
        try:
            return socket.create_connection((str(sockaddr[0]), port), timeout, source)
        except OSError as exc:
            error = exc
    raise error


class _PublicHTTP(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _public_connection


class _PublicHTTPS(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _public_connection


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_PublicHTTP, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_PublicHTTPS, req)


class _WebRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow one to ftp)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str):  # type: ignore[no-untyped-def]
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise NonPublicAddressError(f"redirected to {newurl}, which is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def open_url(url: str, timeout: float = 20, allow_private: bool = False) -> Any:
    """urlopen, refusing non-public addresses at every hop unless `allow_private`.

    Environment proxies are not used when refusing: a proxy would reach any address for us.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "leadership-coach-ingest"})
    if allow_private:
        opener = urllib.request.build_opener(_WebRedirects)
    else:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _PublicHTTPHandler, _PublicHTTPSHandler, _WebRedirects
        )
    return opener.open(request, timeout=timeout)
