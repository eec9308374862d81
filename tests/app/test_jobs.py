"""The job queue: immediate in tests, a SQLite file by default, each run in its own context."""

from flask import g

from surveyapp import create_app, jobs

ran: list[tuple[str, bool]] = []


@jobs.job()
def record(word: str) -> None:
    ran.append((word, "marker" in g))


def test_immediate_mode_runs_the_job_at_once_in_a_fresh_context(app):
    ran.clear()
    with app.app_context():
        g.marker = True
        record("now")
    assert ran == [("now", False)]  # the caller's g is not the job's


def test_by_default_jobs_wait_in_a_sqlite_file_for_the_worker(tmp_path):
    ran.clear()
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
                     instance_path=str(tmp_path))
    try:
        record("later")
        assert ran == []
        assert jobs.describe_storage() == str(tmp_path / "jobs.sqlite")
        assert (tmp_path / "jobs.sqlite").exists()
        jobs.bind(app)
        task = jobs.huey.dequeue()  # what the worker does with each queued job
        jobs.huey.execute(task)
        assert ran == [("later", False)]
        assert jobs.huey.dequeue() is None
    finally:
        app.extensions["db_engine"].dispose()
        jobs.huey._immediate = True  # leave the shared queue as the other tests expect
        jobs.huey.storage = jobs.huey.create_storage()


def test_an_idle_worker_looks_for_jobs_at_least_every_second(tmp_path):
    # huey's default backs an idle worker off to a 10 s poll: a recompute queued after a
    # quiet spell would start up to 10 s late
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
                     instance_path=str(tmp_path))
    try:
        with app.app_context():
            consumer = jobs.consumer(1)
        assert consumer.max_delay <= 1.0
        assert consumer.default_delay <= consumer.max_delay
    finally:
        app.extensions["db_engine"].dispose()
        jobs.huey._immediate = True
        jobs.huey.storage = jobs.huey.create_storage()
