from django import template

from kynangso.core.text import grouped

register = template.Library()


@register.filter
def vi_number(value):
    """12345 → '12.345' in Vietnamese, '12,345' in English (the active locale's grouping)."""
    if value in (None, ""):
        return ""
    return grouped(value)
