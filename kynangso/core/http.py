"""Facts about an HTTP request, and kinds of response, that more than one app needs."""

from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_address(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or behind a reverse proxy the header it sets, named by
    CLIENT_ADDRESS_HEADER (e.g. "HTTP_X_REAL_IP" for nginx's `proxy_set_header X-Real-IP $remote_addr`).
    Only a header the proxy overwrites may be trusted: a client can send any header itself."""
    return request.META.get(settings.CLIENT_ADDRESS_HEADER, "") or request.META.get("REMOTE_ADDR", "")


def xlsx_download(name: str, chunks: Iterator[bytes]) -> StreamingHttpResponse:
    """A workbook sent as it is written (core.xlsx.SheetWriter.stream), as a download named `name`."""
    return StreamingHttpResponse(
        chunks, content_type=XLSX_TYPE, headers={"Content-Disposition": content_disposition_header(True, name)}
    )
