from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from walkme_integration.accounts import admin_login
from walkme_integration.health import healthz

admin.site.site_header = "WalkMe → Salesforce"
admin.site.site_title = "WalkMe → Salesforce"
admin.site.index_title = "Scheduled outbound integrations"
# The integrations grid has many columns; the collapsible app sidebar would push the last
# ones (last run, next run, options) off screen on a laptop.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    # The admin signs in through allauth (two-factor authentication, one login page).
    path("admin/login/", admin_login, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("salesforce/", include("salesforce_auth.urls")),
    path("healthz", healthz, name="healthz"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
