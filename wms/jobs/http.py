"""The webhook worker's HTTP POST, with the standard library.

Only http and https, no redirects followed (a 3xx is a failed attempt), and, unless the
deployment allows its own network, only to hosts whose every address is public: resolved
here, at delivery time, so a name that later points inside is still refused.
"""
from __future__ import annotations

import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from wms.logistics.webhooks import public_host

TIMEOUT = 5.0


def resolve(host: str) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def http_post(url: str, body: bytes, headers: dict, timeout: float = TIMEOUT,
              allow_private: bool = False) -> int:
    """The status code, or raises on a network failure (``deliver_due`` records it and
    retries with back-off)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("only http and https URLs are delivered")
    if not allow_private and not public_host(parts.hostname, resolve=resolve):
        raise ValueError("webhooks are delivered to public addresses only")
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=body, method="POST", headers={
        **headers, "User-Agent": "lanzhou-wms-webhook"})
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
