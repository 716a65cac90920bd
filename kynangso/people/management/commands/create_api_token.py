from django.core.management.base import BaseCommand, CommandError

from kynangso.people.models import User
from kynangso.people.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="A label to recognise the token by.")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        token, clear = api_token_create(user=user, name=name)
        self.stdout.write(clear)
        self.stderr.write(f"Token {token.prefix}… for {username}: send it as 'Authorization: Bearer <token>'.")
