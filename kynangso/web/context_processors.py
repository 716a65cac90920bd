from kynangso.orgs.choices import PEOPLE_READ_ROLES, PEOPLE_WRITE_ROLES
from kynangso.orgs.selectors import current_space, has_role, is_national, primary_organisation


def site(request):
    """Header facts: the user's space and organisation (both lazy: read only when a page shows them)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "header_space": current_space(user),
        "header_org": primary_organisation(user),
        "header_national": is_national(user),
        "can_see_people": has_role(user, PEOPLE_READ_ROLES),
        "can_import_people": has_role(user, PEOPLE_WRITE_ROLES),
    }
