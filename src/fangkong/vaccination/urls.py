from django.urls import path

from fangkong.vaccination import views

app_name = "vaccination"
urlpatterns = [
    path("doses/new/", views.record, name="record"),
]
