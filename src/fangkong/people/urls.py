from django.urls import path

from fangkong.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("<int:person_id>/", views.detail, name="detail"),
    path("<int:person_id>/reveal/", views.reveal, name="reveal"),
    path("<int:person_id>/status/", views.set_status, name="set_status"),
    path("import/", views.import_page, name="import"),
    path("export/", views.export, name="export"),
    path("import/report/<str:name>.<str:fmt>", views.import_report, name="import_report"),
]
