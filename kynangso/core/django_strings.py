"""Django's own messages that its Vietnamese catalogue leaves untranslated and that a user can meet (a
form field given a null character, a forged choice, a malformed value). Marked here so that
`makemessages` puts them in this project's catalogue, which Django reads before its own (LOCALE_PATHS)."""

from django.utils.translation import gettext_noop

MESSAGES = (
    gettext_noop("Null characters are not allowed."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop("Value must be valid JSON."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("Date out of range"),
    gettext_noop("“%(value)s” value must be an integer."),
    gettext_noop("File extension “%(extension)s” is not allowed. Allowed extensions are: %(allowed_extensions)s."),
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
)
