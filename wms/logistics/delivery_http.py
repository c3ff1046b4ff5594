"""The HTTP poster webhook deliveries go out through: the standard library, http and https
only, public addresses only (unless a deployment allows its own network), no redirects
followed. ``webhooks.deliver_due`` takes it as its ``post`` callable, so that module knows no
HTTP and tests pass a fake.
"""
from __future__ import annotations

import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from .webhooks import public_host

WEBHOOK_TIMEOUT = 5.0


def _resolve(host: str) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook answers; it is not followed somewhere else (a 3xx is a failed attempt)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def http_post(url: str, body: bytes, headers: dict, timeout: float = WEBHOOK_TIMEOUT,
              allow_private: bool = False) -> int:
    """POST with the standard library; only http and https; the status code, or raises on a
    network failure (``deliver_due`` records it and retries with back-off)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("only http and https URLs are delivered")
    if not allow_private and not public_host(parts.hostname, resolve=_resolve):
        raise ValueError("webhooks are delivered to public addresses only")
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, data=body, headers={**headers,
                                                          "User-Agent": "lanzhou-wms-webhook"},
                                 method="POST")
    try:
        with opener.open(req, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
