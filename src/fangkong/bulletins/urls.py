from django.urls import path

from fangkong.bulletins import views

app_name = "bulletins"
urlpatterns = [
    path("", views.index, name="index"),
    path("preview.<str:fmt>", views.preview_download, name="preview_download"),
    path("issue/", views.issue, name="issue"),
    path("issued/", views.archive, name="archive"),
    path("issued/<int:bulletin_id>/", views.issued, name="issued"),
    path("issued/<int:bulletin_id>.<str:fmt>", views.issued_download, name="issued_download"),
]
