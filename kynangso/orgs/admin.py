from django.contrib import admin

from kynangso.people.services import activation_code_cancel

from .choices import Role
from .models import AdminUnit, Organisation, RoleGrant, Space


@admin.register(AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "full_name", "level", "valid_from", "valid_to")
    list_filter = ("level", "valid_from")
    search_fields = ("code", "name", "full_name")
    raw_id_fields = ("parent",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "org_type", "space", "depth")
    list_filter = ("org_type", "space")
    search_fields = ("code", "name")
    raw_id_fields = ("parent", "admin_unit")
    list_select_related = ("space",)
    readonly_fields = ("path", "depth")


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "learner_quota")
    raw_id_fields = ("root", "admin_unit")


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "organisation")
    list_filter = ("role",)
    raw_id_fields = ("user", "organisation")
    list_select_related = ("user", "organisation")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.role != Role.LEARNER:  # as services.role_grant: no pending activation code on a role's account
            activation_code_cancel(obj.user)
