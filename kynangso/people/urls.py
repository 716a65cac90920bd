from django.urls import include, path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("export.xlsx", views.person_export, name="export"),
    path("activation-codes/", views.person_activation_codes, name="activation_codes"),
    path("new/", views.person_create, name="create"),
    path("me/", views.my_data, name="me"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/cccd/", views.person_cccd, name="cccd"),
    path("<int:pk>/erase/", views.person_erase, name="erase"),
    path("<int:pk>/activation-code/", views.person_activation_code, name="activation_code"),
    path("imports/", include("kynangso.people.imports.urls")),
]
