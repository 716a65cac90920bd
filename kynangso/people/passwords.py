"""Password rules: Django's, with the length rule's message in the project's catalogue, and the similarity
rule comparing the person's name as people type it in a password."""

import re
from difflib import SequenceMatcher

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kynangso.core.text import fold


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django 5.2 reworded this rule's message and its own Vietnamese catalogue has only the old wording,
    so a new learner who chose a short password on the activation page read it in English."""

    def get_error_message(self) -> str:
        return ngettext(
            "The password is too short: it needs at least %(min_length)d character.",
            "The password is too short: it needs at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "At least %(min_length)d character.",
            "At least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class SimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's rule (a password too like the username or email address), which also compares the person's
    full name without accents, with and without spaces: "nguyenvanhung" for Nguyễn Văn Hùng. Its message
    names them in small letters, inside the sentence."""

    def validate(self, password, user=None):
        if user is None:
            return
        person = getattr(user, "person", None)
        name = fold(person.full_name) if person is not None else ""
        values = [
            (user.username, _("username")),
            (user.email, _("email address")),
            (name, _("full name")),
            (name.replace(" ", ""), _("full name")),
        ]
        typed = password.lower()
        for value, label in values:
            if not value:
                continue
            value = value.lower()
            for part in (*re.split(r"\W+", value), value):
                if password_validation.exceeds_maximum_length_ratio(typed, self.max_similarity, part):
                    continue
                if SequenceMatcher(a=typed, b=part).quick_ratio() >= self.max_similarity:
                    raise ValidationError(
                        self.get_error_message(), code="password_too_similar", params={"verbose_name": label}
                    )

    def get_error_message(self):
        return _("The password is too similar to your %(verbose_name)s.")
