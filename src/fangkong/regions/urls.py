from django.urls import path

from fangkong.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:unit_id>/children/", views.children, name="children"),
]
