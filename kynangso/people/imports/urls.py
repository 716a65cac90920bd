from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("template.xlsx", views.template_download, name="template"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/cancel/", views.import_cancel, name="cancel"),
    path("<int:pk>/requeue/", views.import_requeue, name="requeue"),
    path("<int:pk>/import/", views.import_from_check, name="from_check"),
    path("<int:pk>/activation-pdf/", views.activation_pdf_requeue, name="activation_pdf_requeue"),
    path("<int:pk>/activation-remake/", views.activation_remake, name="activation_remake"),
    path("<int:pk>/activation-renew/", views.activation_remake, {"renew": True}, name="activation_renew"),
    path("<int:pk>/errors.xlsx", views.error_report_download, name="errors"),
    path("<int:pk>/activation.xlsx", views.activation_sheet_download, name="activation_xlsx"),
    path("<int:pk>/activation.pdf", views.activation_pdf_download, name="activation_pdf"),
    path("<int:pk>/file", views.original_file_download, name="file"),
]
