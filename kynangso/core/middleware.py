import logging
import time

logger = logging.getLogger("kynangso.request")

# No inline scripts or styles anywhere: every asset is a file served from our own origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'"
)
# Swagger UI (served from django-ninja's own static files) styles elements inline; Django's admin is
# trusted code used by superusers only and keeps its inline snippets.
CSP_API_DOCS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
CSP_ADMIN = CSP_API_DOCS.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            if request.path.startswith("/admin/"):
                response["Content-Security-Policy"] = CSP_ADMIN
            elif request.path.startswith("/api/docs"):
                response["Content-Security-Policy"] = CSP_API_DOCS
            else:
                response["Content-Security-Policy"] = CSP
        return response


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.monotonic() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


class VietnameseFirstMiddleware:
    """Pages open in Vietnamese whatever the browser's language; only the user's own choice (the
    language switcher's cookie) changes that. API clients may still ask for English by Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
