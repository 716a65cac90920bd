"""Facts about an HTTP request that more than one app needs."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or behind a reverse proxy the header it sets, named by
    CLIENT_ADDRESS_HEADER (e.g. "HTTP_X_REAL_IP" for nginx's `proxy_set_header X-Real-IP $remote_addr`).
    Only a header the proxy overwrites may be trusted: a client can send any header itself."""
    return request.META.get(settings.CLIENT_ADDRESS_HEADER, "") or request.META.get("REMOTE_ADDR", "")
