from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def vi_number(value):
    """12345 → '12.345' in Vietnamese, '12,345' in English (the active locale's grouping)."""
    if value in (None, ""):
        return ""
    return number_format(value, force_grouping=True)
