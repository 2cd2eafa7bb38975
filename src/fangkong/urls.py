"""Page entry points: each app contributes `<app>/urls.py`, mounted at /<app label>/."""

from django.contrib import admin
from django.urls import include, path

from fangkong.api import api
from fangkong.core.discovery import app_modules
from fangkong.core.views import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += [
    path(f"{label}/", include(module.__name__)) for label, module in app_modules("urls")
]
