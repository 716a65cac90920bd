"""The base of the platform's management commands: argparse's own words (usage, errors, section titles)
and the error line in the language of the command's messages, not always in English."""

import argparse
import os
import sys
from contextlib import suppress

from django.core.management.base import BaseCommand, CommandError, SystemCheckError
from django.utils.translation import gettext, gettext_noop, ngettext

# argparse's messages an operator can meet (Python 3.11-3.13), marked for this project's catalogue.
ARGPARSE_MESSAGES = (
    gettext_noop("usage: "),
    gettext_noop("positional arguments"),
    gettext_noop("options"),
    gettext_noop("show this help message and exit"),
    gettext_noop("%(prog)s: error: %(message)s\n"),
    gettext_noop("the following arguments are required: %s"),
    gettext_noop("unrecognized arguments: %s"),
    gettext_noop("argument %(argument_name)s: %(message)s"),
    gettext_noop("expected one argument"),
    gettext_noop("expected at least one argument"),
    gettext_noop("expected at most one argument"),
    gettext_noop("ignored explicit argument %r"),
    gettext_noop("ambiguous option: %(option)s could match %(matches)s"),
    gettext_noop("invalid choice: %(value)r (choose from %(choices)s)"),
    gettext_noop("invalid %(type)s value: %(value)r"),
    gettext_noop("not allowed with argument %s"),
    gettext_noop("one of the arguments %s is required"),
)
# The help of Django's own options (BaseCommand.create_parser), by their dest.
DJANGO_OPTIONS = {
    "version": gettext_noop("Show program's version number and exit."),
    "verbosity": gettext_noop(
        "Verbosity level; 0=minimal output, 1=normal output, 2=verbose output, 3=very verbose output"
    ),
    "settings": gettext_noop(
        'The Python path to a settings module, e.g. "myproject.settings.main". If this isn\'t provided, the '
        "DJANGO_SETTINGS_MODULE environment variable will be used."
    ),
    "pythonpath": gettext_noop('A directory to add to the Python path, e.g. "/home/djangoprojects/myproject".'),
    "traceback": gettext_noop("Display a full stack trace on CommandError exceptions."),
    "no_color": gettext_noop("Don't colorize the command output."),
    "force_color": gettext_noop("Force colorization of the command output."),
    "skip_checks": gettext_noop("Skip system checks."),
}


class _Output:
    """A command's output or error stream. A reader that went away (`| head -1`, `2>&1 | head -1`) silences
    it, and the command goes on and ends as it would have: an import has run by then, and the files asked for
    are still written (QA rounds 65-66: a traceback, and exit status 1 for an import that had succeeded)."""

    def __init__(self, stream):
        self.stream, self.gone = stream, False

    def write(self, text):
        if not self.gone:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self.went_away()

    def flush(self):
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self.went_away()

    def went_away(self):
        self.gone = True
        if self.stream in (sys.stdout, sys.stderr):  # what its buffer still holds is flushed at exit: into
            with suppress(OSError, ValueError):  # nothing, no error
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())

    def __getattr__(self, name):
        return getattr(self.stream, name)


class Command(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse looks its words up through its module's `_` and `ngettext` when it uses them (Python's
        # gettext, which has no Vietnamese); a command process runs one command, in the platform's language.
        argparse._ = gettext
        argparse.ngettext = ngettext
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:
            if action.dest in DJANGO_OPTIONS:
                action.help = gettext(DJANGO_OPTIONS[action.dest])
        return parser

    def execute(self, *args, **options):
        options["stdout"] = output = _Output(options.get("stdout") or sys.stdout)
        options["stderr"] = errors = _Output(options.get("stderr") or sys.stderr)
        try:
            return super().execute(*args, **options)
        except CommandError as exc:  # Django prints "CommandError: …" from the command line
            called = getattr(self, "_called_from_command_line", False)
            if not called or options.get("traceback") or isinstance(exc, SystemCheckError):
                raise
            self.stderr.write(gettext("Error: %(message)s") % {"message": exc})
            sys.exit(exc.returncode)
        finally:
            output.flush()
            errors.flush()
