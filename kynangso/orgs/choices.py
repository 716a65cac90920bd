from django.db import models
from django.utils.translation import gettext_lazy as _


class AdminLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")


class OrgType(models.TextChoices):
    MINISTRY = "ministry", _("Ministry or central agency")
    PEOPLES_COMMITTEE = "peoples_committee", _("People's committee")
    DEPARTMENT = "department", _("Department (Sở)")
    COMMUNE_OFFICE = "commune_office", _("Commune office")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital or health centre")
    STATE_ENTERPRISE = "state_enterprise", _("State enterprise")
    PRIVATE_ENTERPRISE = "private_enterprise", _("Private enterprise")
    ASSOCIATION = "association", _("Association or mass organisation")
    COMMUNITY_TEAM = "community_team", _("Community digital technology team")
    OTHER = "other", _("Other")


class SpaceKind(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    MINISTRY = "ministry", _("Ministry")


class Role(models.TextChoices):
    NATIONAL_ADMIN = "national_admin", _("National admin")
    SPACE_ADMIN = "space_admin", _("Space admin")
    UNIT_ADMIN = "unit_admin", _("Unit admin")
    AUTHOR = "author", _("Author")
    EXAMINER = "examiner", _("Examiner")
    LEARNER = "learner", _("Learner")
    VIEWER = "viewer", _("Read-only viewer")


# Roles that may read people in the granted subtree, and those that may also change them.
PEOPLE_READ_ROLES = (Role.NATIONAL_ADMIN, Role.SPACE_ADMIN, Role.UNIT_ADMIN, Role.VIEWER)
PEOPLE_WRITE_ROLES = (Role.NATIONAL_ADMIN, Role.SPACE_ADMIN, Role.UNIT_ADMIN)
