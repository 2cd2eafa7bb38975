from django.urls import path

from fangkong.checkpoints import passcode_views, views

app_name = "checkpoints"
urlpatterns = [
    path("", views.checkpoint_list, name="list"),
    path("new/", views.checkpoint_new, name="new"),
    path("figures/", views.unit_figures, name="unit_figures"),
    path("<int:checkpoint_id>/edit/", views.checkpoint_edit, name="edit"),
    path("<int:checkpoint_id>/staff/", views.staff_bind, name="staff_bind"),
    path(
        "<int:checkpoint_id>/staff/<int:user_id>/remove/", views.staff_unbind, name="staff_unbind"
    ),
    path("<int:checkpoint_id>/duty/", views.duty, name="duty"),
    path("<int:checkpoint_id>/duty/register/", views.duty_register, name="duty_register"),
    path("<int:checkpoint_id>/duty/lookup/", views.duty_lookup, name="duty_lookup"),
    path("<int:checkpoint_id>/duty/recent/", views.duty_recent, name="duty_recent"),
    path("<int:checkpoint_id>/figures/", views.figures, name="figures"),
    path("<int:checkpoint_id>/register.xlsx", views.register_xlsx, name="register_xlsx"),
    path(
        "<int:checkpoint_id>/allowed-residents.csv",
        views.allowed_residents_csv,
        name="allowed_residents",
    ),
    path("codes/", passcode_views.codes, name="codes"),
    path("codes/print/", passcode_views.print_sheet, name="print"),
    path("codes/person/<int:person_id>/", passcode_views.person_code, name="person_code"),
    path("codes/person/<int:person_id>/issue/", passcode_views.issue_code, name="issue_code"),
    path("code/<str:token>/", passcode_views.my_code, name="my_code"),
    path("code/<str:token>/qr.png", passcode_views.my_code_png, name="my_code_png"),
]
