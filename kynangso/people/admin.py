from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, DataRequest, Person, PersonImport, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "is_staff", "is_active", "locked_until")
    raw_id_fields = ("person",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Kỹ Năng Số", {"fields": ("person", "failed_logins", "locked_until")}),
    )


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Read-mostly: people are created and changed through the site, which validates and audits."""

    list_display = ("full_name", "date_of_birth", "cccd_masked", "organisation")
    search_fields = ("search_text",)
    raw_id_fields = ("organisation", "created_by")
    list_select_related = ("organisation",)
    readonly_fields = ("cccd_masked", "search_text", "sort_key")
    exclude = ("cccd_encrypted",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    raw_id_fields = ("user",)
    readonly_fields = ("prefix", "key_hash")


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    list_display = ("person_name", "kind", "status", "created_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("person", "handled_by")


@admin.register(PersonImport)
class PersonImportAdmin(admin.ModelAdmin):
    list_display = ("pk", "created_at", "created_by", "organisation", "status")
    list_filter = ("status",)
    raw_id_fields = ("created_by", "organisation")
    list_select_related = ("created_by", "organisation")
