"""Background work of imports. Tasks take ids only, call one service, and are safe to run twice."""

from django_tasks import task


@task()
def person_import_task(import_id: int) -> None:
    from .services import person_import_run

    person_import_run(import_id=import_id)


@task()
def activation_pdf_task(import_id: int) -> None:
    from .services import activation_pdf_build

    activation_pdf_build(import_id=import_id)


@task()
def activation_files_task(import_id: int, actor_id: int | None) -> None:
    from .services import activation_files_remake

    activation_files_remake(import_id=import_id, actor_id=actor_id)


@task()
def statistics_task() -> None:
    from .services import statistics_refresh

    statistics_refresh()
