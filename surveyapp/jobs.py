"""Background jobs: mail, reminders, recomputing a wave's scores, alerts, webhooks.

One huey instance carries every job. Its storage is chosen by ``init_app`` from the app's
settings, never at import time:

- default: a SQLite file in the instance folder (``instance/jobs.sqlite``), so one machine
  needs no extra server — ``surveyapp worker`` (started by ``make run``) runs the jobs;
- ``JOBS_URL=redis://host:6379/0``: Redis, for several app servers and workers;
- ``JOBS_IMMEDIATE = True`` (the tests): each job runs at once, in the process that queued it.

Jobs are declared with :func:`job`; each run gets an app context of its own (and so a
database session of its own), in the worker or, in immediate mode, beside the caller's.
Queue a job only after the transaction it depends on has committed: the job reads the
database through another connection.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, SqliteStorage

huey = Huey("surveyapp", storage_class=MemoryStorage, results=False)

_bound: dict[str, Flask] = {}  # the worker's app, for jobs run outside any app context


def init_app(app: Flask) -> None:
    """Point the job queue at the storage the settings name."""
    url = app.config.get("JOBS_URL")
    immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    if immediate:
        huey.storage_class = MemoryStorage
        huey.storage_kwargs = {}
    elif url and url.startswith(("redis://", "rediss://", "unix://")):
        from huey.storage import RedisStorage

        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": url}
    else:
        filename = url.removeprefix("sqlite:///") if url else str(
            Path(app.instance_path) / "jobs.sqlite")
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": filename}
    huey._immediate = immediate
    huey.storage = huey.create_storage()
    app.extensions["jobs"] = huey


def describe_storage() -> str:
    storage = huey.storage
    if isinstance(storage, SqliteStorage):
        return storage.filename
    return type(storage).__name__


def bind(app: Flask) -> None:
    """The app that jobs run in when the worker executes them."""
    _bound["app"] = app


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return _bound["app"]
    except KeyError:
        raise RuntimeError("a job ran with no app: start it with 'surveyapp worker'") from None


def job(**task_options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a background job (huey task options: ``retries``, ``retry_delay``, …).

    Calling the declared function queues it; ``fn.call_local(...)`` runs it here and now.
    """
    def decorate(func: Callable[..., Any]) -> Any:
        @functools.wraps(func)
        def in_app_context(*args: Any, **kwargs: Any) -> Any:
            with _app().app_context():  # a fresh context: its own g and database session
                return func(*args, **kwargs)

        return huey.task(name=f"{func.__module__}.{func.__name__}", **task_options)(
            in_app_context)

    return decorate


POLL_MAX_DELAY_S = 1.0  # the longest an idle worker waits before looking for a job


def consumer(workers: int = 2):  # type: ignore[no-untyped-def]
    """A huey consumer that runs the queued jobs in threads."""
    import_job_modules()
    # an idle huey worker backs off to polling every 10 s by default: a survey's alert or
    # its wave's recompute would wait that long for nothing. A poll of the SQLite queue
    # costs well under a millisecond; Redis blocks on the queue and does not poll at all
    return huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                max_delay=POLL_MAX_DELAY_S)


def import_job_modules() -> None:
    """Jobs are declared in the services: import them all, so the worker knows every job."""
    import importlib
    import pkgutil

    from . import services

    for module in pkgutil.iter_modules(services.__path__, services.__name__ + "."):
        importlib.import_module(module.name)
