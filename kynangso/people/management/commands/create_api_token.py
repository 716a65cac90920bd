from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from kynangso.core import commands
from kynangso.people.models import User
from kynangso.people.services import api_token_create


class Command(commands.Command):
    @property
    def help(self) -> str:  # argparse wants a str, in the language active when the command runs
        return _("Create an API token for a user and print it once (only its hash is stored).")

    def add_arguments(self, parser):
        parser.add_argument("username", help=_("the user the token acts as, with their roles"))
        parser.add_argument("--name", default="cli", help=_("a label to recognise the token by"))

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No such user: %(user)s") % {"user": username})
        token, clear = api_token_create(user=user, name=name)
        self.stdout.write(clear)  # the token alone on standard output, for a script to capture
        self.stderr.write(
            _("Token %(prefix)s… for %(user)s: send it as the header “Authorization: Bearer <token>”.")
            % {"prefix": token.prefix, "user": username}
        )
