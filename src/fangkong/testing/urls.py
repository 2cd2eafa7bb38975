from django.urls import path

from fangkong.testing.views import lab, rounds, sampling

app_name = "testing"
urlpatterns = [
    path("", rounds.round_list, name="rounds"),
    path("<int:round_id>/", rounds.round_detail, name="round"),
    path("<int:round_id>/coverage.<str:fmt>", rounds.coverage_export, name="coverage_export"),
    path("<int:round_id>/units/<int:unit_id>/", rounds.unit_detail, name="unit"),
    path(
        "<int:round_id>/units/<int:unit_id>/not-sampled/",
        rounds.not_sampled_list,
        name="not_sampled",
    ),
    path("<int:round_id>/follow-up/<str:kind>/", rounds.follow_up, name="follow_up"),
    path("sampling/", sampling.site_list, name="sampling"),
    path("sampling/<int:site_id>/", sampling.site_page, name="site"),
    path("sampling/<int:site_id>/tubes/<int:tube_id>/", sampling.tube_page, name="tube"),
    path("sampling/<int:site_id>/tubes/<int:tube_id>/add/", sampling.add_person, name="add"),
    path("sampling/<int:site_id>/tubes/<int:tube_id>/seal/", sampling.seal, name="seal"),
    path("sampling/<int:site_id>/tubes/<int:tube_id>/search/", sampling.search, name="search"),
    path("lab/", lab.lab_home, name="lab"),
    path("lab/<int:round_id>/", lab.lab_round, name="lab_round"),
    path("lab/report/<str:name>.<str:fmt>", lab.import_report, name="import_report"),
]
