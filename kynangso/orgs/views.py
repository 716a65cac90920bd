from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from .choices import PEOPLE_READ_ROLES
from .selectors import has_role, organisation_list, subtree_people_counts

PAGE_SIZE = 200


@login_required
def tree(request):
    """The organisation tree in the user's scope, a page of nodes at a time (in tree order), with the
    number of people in each node and in its whole subtree."""
    if not has_role(request.user, PEOPLE_READ_ROLES):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()
    page = Paginator(organisation_list(actor=request.user, q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    nodes = list(page.object_list)
    direct, total = subtree_people_counts(actor=request.user, nodes=nodes)
    min_depth = min((n.depth for n in nodes), default=0)
    rows = [
        {"org": n, "indent": n.depth - min_depth, "direct": direct.get(n.pk, 0), "total": total.get(n.pk, 0)}
        for n in nodes
    ]
    return render(
        request,
        "orgs/tree.html",
        {"rows": rows, "page_obj": page, "q": q, "query_string": urlencode({"q": q}) if q else ""},
    )
