"""Build the demo data (kynangso/web/demo.py): spaces, organisations, people and one login per role."""

from django.core.management.base import CommandError

from kynangso.core import commands
from kynangso.web import demo


class Command(commands.Command):
    help = (  # argparse needs a plain str; Django's own commands leave help untranslated
        "Seed a demo: the Ministry of Science and Technology, the province space of Vĩnh Long with its "
        "organisations and generated people, and one login per role. Safe to run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--people", type=int, default=demo.DEFAULT_PEOPLE, help="How many people to generate (default 5000)."
        )
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=f"Set the demo accounts' password back to {demo.DEMO_PASSWORD}.",
        )

    def handle(self, *args, **options) -> None:
        if options["people"] < 0:
            raise CommandError("--people must be 0 or more.")
        quiet = options["quiet"] or options["verbosity"] == 0
        log = None if quiet else self.stdout.write
        try:
            report = demo.seed_demo(people=options["people"], reset_passwords=options["reset_passwords"], log=log)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if not quiet:
            self.stdout.write(demo.format_report(report))
