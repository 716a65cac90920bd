"""Helpers shared by the test suites (imported by conftest.py and by tests)."""

PASSWORD = "Test-pass-2026!"


def make_user(username: str, **extra):
    from kynangso.people.models import User

    user = User.objects.create(username=username, **extra)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user
