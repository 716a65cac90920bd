"""People stored before 0014 with a CCCD and no date of birth: their year of birth, from the CCCD (as
rules.birth_year_alone keeps it for people written since)."""

from datetime import date

from django.db import migrations

from kynangso.core import crypto
from kynangso.people import rules


def fill_birth_years(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    undated = Person.objects.filter(date_of_birth=None, birth_year=None, cccd_encrypted__isnull=False)
    by_year: dict[int, list[int]] = {}
    for pk, token in undated.values_list("pk", "cccd_encrypted").order_by().iterator(chunk_size=5000):
        year = rules.cccd_birth_year(crypto.decrypt(token))
        try:  # a number stored before its year was checked (2099) gives none
            rules.clean_birth_date(date(year, 1, 1))
        except rules.RuleError:
            continue
        by_year.setdefault(year, []).append(pk)
    for year, pks in by_year.items():
        for start in range(0, len(pks), 5000):
            Person.objects.filter(pk__in=pks[start : start + 5000]).update(birth_year=year)


class Migration(migrations.Migration):
    dependencies = [("people", "0014_person_birth_year")]

    operations = [migrations.RunPython(fill_birth_years, migrations.RunPython.noop)]
