from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.forms import LoginForm
from bcci import views

api_v1 = [
    path("", include("network.api_urls")),
    path("", include("geo.api_urls")),
    path("", include("workdays.api_urls")),
    path("", include("audit.api_urls")),
    path("", include("catalog.api_urls")),
    path("", include("catalog.import_api")),
    path("", include("dossiers.api_urls")),
    path("", include("pickups.api_urls")),
    path("", include("custody.api_urls")),
    path("", include("onestop.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("network/", include("network.urls")),
    path("geo/", include("geo.urls")),
    path("calendar/", include("workdays.urls")),
    path("audit/", include("audit.urls")),
    path("thu-tuc/", include(("catalog.public_urls", "catalog"), namespace="catalog")),
    path("catalog/import/", include(("catalog.import_urls", "catalog_import"), namespace="catalog_import")),
    path("ho-so/", include("dossiers.urls")),
    path("thu-gom/", include("pickups.urls")),
    path("buu-gui/", include("custody.urls")),
    path("tra-cuu/", include("custody.public_urls")),
    path("mot-cua/", include("onestop.urls")),
    path("dat-lich-thu-gom/", include("pickups.public_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

admin.site.site_header = "bcci — Quản trị"
admin.site.site_title = "bcci"
