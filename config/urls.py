from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from kynangso.core.api import api, register_routers
from kynangso.core.views import healthz
from kynangso.web.forms import AdminLoginForm

register_routers()
admin.site.login_form = AdminLoginForm  # the site's lockout on the admin's login too

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The docs describe every version; under the versioned prefix, where people look first, they redirect.
    path("api/v1/docs", RedirectView.as_view(url="/api/docs", permanent=False)),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("people/", include("kynangso.people.urls")),
    path("organisations/", include("kynangso.orgs.urls")),
    path("", include("kynangso.web.urls")),
]
