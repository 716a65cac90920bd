"""python manage.py import_people FILE --org CODE [--dry-run] [--all-or-nothing] [--create-accounts]
[--error-report OUT.xlsx] [--activation-sheet OUT.xlsx|OUT.pdf] [--user USERNAME]

Runs the same import as the page and the API, synchronously (no worker needed). Without --user it acts as
the system, with full scope; with --user it is scoped like that user. Exit status 1, with a message, when
no row could be imported."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kynangso.core import commands
from kynangso.core.text import grouped
from kynangso.orgs.models import Organisation
from kynangso.people.imports import selectors, services
from kynangso.people.imports.choices import ImportMode, ImportSource, ImportStatus
from kynangso.people.imports.models import PersonImport
from kynangso.people.imports.permissions import can_import_people
from kynangso.people.imports.workbooks import ERROR_MESSAGE_HEADER
from kynangso.people.models import User

SHOWN_ERRORS = 20


def _take_mode(new: Path, old: Path) -> None:
    """The permissions (and, where allowed, the owner) of the file `new` replaces, or those a file made now
    gets (the umask): a temporary file is its owner's alone, and a report holds CCCD numbers (QA round 58)."""
    try:
        stat = old.stat()
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        new.chmod(0o666 & ~mask)
        return
    new.chmod(stat.st_mode & 0o7777)
    if (stat.st_uid, stat.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(PermissionError):
            os.chown(new, stat.st_uid, stat.st_gid)


def _reason(exc: OSError) -> str:
    """Why a file could not be written, in the operator's language where the system's message is English."""
    reasons = {
        errno.EACCES: _("no permission to write there"),
        errno.EPERM: _("no permission to write there"),
        errno.ENOENT: _("the path cannot be made"),
        errno.EROFS: _("the disk is read-only"),
        errno.ENOSPC: _("the disk is full"),
    }
    return str(reasons.get(exc.errno, exc.strerror or exc))


class Command(commands.Command):
    @property
    def help(self) -> str:  # argparse wants a str, in the language active when the command runs
        return _("Import people (and learner accounts) from an Excel (.xlsx) or CSV file.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("the .xlsx, .xls, .ods or .csv file"))
        parser.add_argument("--org", required=True, help=_("code of the organisation to import into"))
        parser.add_argument("--dry-run", action="store_true", help=_("check only, write nothing"))
        parser.add_argument("--all-or-nothing", action="store_true", help=_("write nothing if any row is rejected"))
        parser.add_argument("--create-accounts", action="store_true", help=_("create learner accounts too"))
        parser.add_argument("--error-report", metavar="OUT.xlsx", help=_("write the rejected rows here"))
        parser.add_argument(
            "--activation-sheet",
            metavar="OUT.xlsx|OUT.pdf",
            help=_("write the new accounts' activation codes here"),
        )
        parser.add_argument("--user", help=_("act as this user (scoped to their roles) instead of the system"))

    def handle(self, *args, **options):
        # The operator reads the command's own lines; the platform's JSON log lines (a broken workbook's
        # details, say) only with -v 2 and above.
        root = logging.getLogger()
        level = root.level
        if options["verbosity"] < 2:
            root.setLevel(max(level, logging.WARNING))
        self.import_id = None
        try:
            self._import(options)
        except KeyboardInterrupt:  # before the import, or after it (its errors printed, a file copied): it stands
            imp = PersonImport.objects.filter(pk=self.import_id).first() if self.import_id else None
            if imp is None:
                raise CommandError(_("Stopped (Ctrl+C): nothing was imported.")) from None
            raise CommandError(self._stopped_after(imp)) from None
        finally:
            root.setLevel(level)

    def _import(self, options) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        path = Path(options["file"])
        if path.is_dir():
            folder = _("%(path)s is a folder: give the list's file (.xlsx, .xls, .ods or .csv).")
            raise CommandError(folder % {"path": path})
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if options["activation_sheet"] and not options["create_accounts"]:
            raise CommandError(
                _("--activation-sheet holds the codes of new accounts: add --create-accounts to create them.")
            )
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(_("No such user: %(user)s") % {"user": options["user"]})
            if not actor.is_active:  # QA round 55: scoped like a user who may no longer sign in
                raise CommandError(_("%(user)s is deactivated: they may not import people.") % {"user": actor.username})
            if not can_import_people(actor):
                raise CommandError(
                    _("%(user)s may not import people: it takes a unit, space or national administrator's role.")
                    % {"user": actor.username}
                )
        outputs = [options[option] for option in ("error_report", "activation_sheet") if options[option]]
        for out, suffixes in ((options["error_report"], (".xlsx",)), (options["activation_sheet"], (".xlsx", ".pdf"))):
            if out:
                self._check_output(out, suffixes, path)
        if len(outputs) == 2 and Path(outputs[0]).resolve() == Path(outputs[1]).resolve():  # QA round 57
            raise CommandError(_("--error-report and --activation-sheet name the same file: give two."))
        code = options["org"].strip().upper()
        orgs = selectors.importable_organisations(actor=actor) if actor else Organisation.objects.all()
        organisation = orgs.filter(code=code).first()
        if organisation is None:
            raise CommandError(_("Unknown organisation code, or outside your scope: %(code)s") % {"code": code})
        key = f"cli-{uuid.uuid4().hex}"  # finds the import a Ctrl+C cut before it was returned
        outermost = not connection.in_atomic_block
        try:
            with path.open("rb") as fh:
                imp = services.person_import_create(
                    actor=actor,
                    organisation=organisation,
                    file=File(fh, name=path.name),
                    original_name=path.name,
                    mode=ImportMode.ALL_OR_NOTHING if options["all_or_nothing"] else ImportMode.COMMIT_VALID,
                    dry_run=options["dry_run"],
                    create_accounts=options["create_accounts"],
                    enqueue=False,
                    language=settings.LANGUAGE_CODE,
                    source=ImportSource.COMMAND,
                    submission_key=key,
                )
            imp = services.person_import_run(import_id=imp.pk)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        except KeyboardInterrupt:  # Ctrl+C, whenever: recorded as a cancel (QA round 58); say what was kept
            if outermost:  # (a test's transaction is its own)
                services.leave_cut_transaction()
            imp = PersonImport.objects.filter(submission_key=key).first()
            if imp is None:
                raise CommandError(_("Stopped (Ctrl+C): nothing was imported.")) from None
            services.person_import_interrupted(import_id=imp.pk)
            imp.refresh_from_db()
            if imp.status == ImportStatus.DONE:  # it had ended: not its summary as an error (QA round 59)
                raise CommandError(self._stopped_after(imp)) from None
            unwritten = options["error_report"] or options["activation_sheet"]  # QA round 60: nothing said
            note = " " + _("The files asked for were not written: the import's page has what was kept.")
            raise CommandError(f"{imp.message}{note * bool(unwritten)} {self._page(imp)}") from None
        self.import_id = imp.pk
        nothing = (
            imp.status != ImportStatus.DONE
            or imp.rows_accepted == 0
            or (imp.mode == ImportMode.ALL_OR_NOTHING and imp.rejected_count)  # a check of a refused file too
        )
        if not nothing:  # otherwise the message ends the command (CommandError), said once
            self.stdout.write(imp.message)
        counts = {
            "read": grouped(imp.rows_read),
            "valid": grouped(imp.rows_valid),
            "accounts": grouped(imp.accounts_created),
        }
        if not imp.create_accounts:
            self.stdout.write(_("Rows read %(read)s · valid %(valid)s") % counts)
        elif imp.hypothetical:  # a check, or a refused file: the accounts it would create
            self.stdout.write(_("Rows read %(read)s · valid %(valid)s · accounts to create %(accounts)s") % counts)
        else:
            self.stdout.write(_("Rows read %(read)s · valid %(valid)s · accounts created %(accounts)s") % counts)
        if imp.unknown_columns:
            self.stdout.write(_("Ignored columns: %(columns)s") % {"columns": ", ".join(imp.unknown_columns)})
        if imp.error_report:
            self._show_errors(imp)
            if options["error_report"]:
                self._copy(imp.error_report, options["error_report"])
            else:
                self.stdout.write(  # QA round 32: "the error file" of the messages seemed not to exist
                    _(
                        "The error file (the rejected rows, with their errors) is kept with the import: download it "
                        "on its page (below), or add --error-report OUT.xlsx."
                    )
                )
        elif options["error_report"]:
            if imp.status == ImportStatus.FAILED:  # QA round 55: the file refused as a whole said "no row rejected"
                self.stdout.write(_("No error report was written: the file itself was refused (why is below)."))
            else:
                self.stdout.write(_("No row was rejected: no error report was written."))
            self._say_left(options["error_report"])
        self.stdout.write(self._page(imp))
        if imp.activation_sheet:
            out = options["activation_sheet"]
            if not out:  # running the import again would create no account: the page has the codes
                self.stdout.write(
                    _(
                        "The activation codes of the new accounts are kept with the import: download them on its "
                        "page (above), or next time add --activation-sheet OUT.xlsx or OUT.pdf."
                    )
                )
            elif out.lower().endswith(".pdf"):
                imp = services.activation_pdf_build(import_id=imp.pk)
                self._copy(imp.activation_pdf, out)
            else:
                self._copy(imp.activation_sheet, out)
        elif options["activation_sheet"] and imp.dry_run:  # QA round 27: it said nothing
            self.stdout.write(_("A check creates no account: no activation sheet was written."))
            self._say_left(options["activation_sheet"])
        elif options["activation_sheet"]:
            self.stdout.write(_("No account was created: no activation sheet was written."))
            self._say_left(options["activation_sheet"])

        if nothing:  # the message says what to correct and what to import again (the mode's way)
            raise CommandError(imp.message or str(_("Nothing could be imported.")))

    def _stopped_after(self, imp) -> str:
        return _(
            "Stopped (Ctrl+C) after the import had ended; files asked for with --error-report or "
            "--activation-sheet may not be written: its page has them. %(page)s"
        ) % {"page": self._page(imp)}

    @staticmethod
    def _page(imp) -> str:
        url = settings.SITE_URL.rstrip("/") + reverse("people:imports:detail", kwargs={"pk": imp.pk})
        return _("Import no. %(id)s: %(url)s") % {"id": imp.pk, "url": url}

    @staticmethod
    def _check_output(out: str, suffixes: tuple[str, ...], source: Path) -> None:
        """Before the import: a report that cannot be written must not be found out after the commit (QA
        rounds 55, 57). Nothing is created, changed or deleted here."""
        path = Path(out)
        if not path.name.lower().endswith(suffixes):
            raise CommandError(
                _("The output file must end in %(suffixes)s: %(path)s") % {"suffixes": ", ".join(suffixes), "path": out}
            )
        if path.is_dir():
            raise CommandError(_("%(path)s is a folder: give a file's name.") % {"path": out})
        if path.exists() and path.samefile(source):
            raise CommandError(_("%(path)s is the list being imported: give another file's name.") % {"path": out})
        real = Path(os.path.realpath(out))  # a symlink's file is the one written (_copy)
        if not real.parent.is_dir():
            raise CommandError(_("Cannot write %(path)s: its folder does not exist.") % {"path": out})
        try:
            if real.exists():  # may be replaced: can be written (opened to add to it, nothing added)
                with real.open("ab"):
                    pass
            with tempfile.NamedTemporaryFile(dir=real.parent, prefix=".import-people-"):
                pass  # the folder takes a new file (written beside, then moved over the name: _copy)
        except OSError as exc:
            raise CommandError(_("Cannot write %(path)s: %(reason)s") % {"path": out, "reason": _reason(exc)}) from exc

    def _copy(self, stored, out: str) -> None:
        """The stored file written to `out` whole or not at all: into a file beside it, then moved over it."""
        target = Path(os.path.realpath(out))  # a symlink's file is the one written (QA round 58)
        tmp = None
        try:
            with (
                stored.open("rb") as src,
                tempfile.NamedTemporaryFile(dir=target.parent, prefix=".import-people-", delete=False) as dst,
            ):
                tmp = Path(dst.name)
                shutil.copyfileobj(src, dst)
            _take_mode(tmp, target)
            os.replace(tmp, target)
            tmp = None
        except OSError as exc:  # after the check (a disk full, say): the import stands; the page has the file
            self.stderr.write(
                _("Could not write %(path)s: %(reason)s. The import is done: download the file on the import's page.")
                % {"path": out, "reason": _reason(exc)}
            )
            self._say_left(out)
            return
        finally:  # a failure, or Ctrl+C: no half-written file left beside it
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        self.stdout.write(_("Written: %(path)s") % {"path": out})

    def _say_left(self, out: str) -> None:
        """No file written to `out`: one already there is left as it is, and said not to be this run's (QA
        round 55: a script took yesterday's errors for today's; round 57: deleting it deleted a list)."""
        if Path(out).is_file():
            self.stdout.write(
                _("The file already at %(path)s was left as it is: it is not this run's.") % {"path": out}
            )

    def _show_errors(self, imp) -> None:
        import python_calamine

        with imp.error_report.open("rb") as fh:
            rows = python_calamine.CalamineWorkbook.from_filelike(fh).get_sheet_by_index(0).iter_rows()
            header = next(rows, [])
            column = header.index(ERROR_MESSAGE_HEADER) if ERROR_MESSAGE_HEADER in header else len(header) - 1
            for shown, row in enumerate(rows):
                if shown >= SHOWN_ERRORS:
                    self.stderr.write(_("… and more in the error report."))
                    break
                self.stderr.write(str(row[column]))
