"""Rate limits on logging in (Flask-Limiter), counted where every app server sees them.

Never in process memory, so two servers behind a load balancer share one count:

- ``RATELIMIT_STORAGE_URI = "redis://host:6379/1"`` (any storage the ``limits`` library
  knows) keeps the counters in Redis;
- the default, ``"surveyapp-db://"``, keeps them in the app's own database
  (:class:`DatabaseStorage`, table ``rate_limit_counters``): an atomic upsert per hit on
  SQLite and PostgreSQL, so concurrent attempts are all counted.

Only failed attempts count (a person who logs in is not slowed down), per account (the
email tried, hashed) and per client address: ``LOGIN_LIMIT_PER_ACCOUNT`` (default
10 per minute) and ``LOGIN_LIMIT_PER_ADDRESS`` (default 200 per minute). Behind a proxy,
the client address is only right once the proxy's ``X-Forwarded-For`` is trusted
(werkzeug's ``ProxyFix``).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy import Engine, case, delete, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from .models import RateLimitCounter

DATABASE_SCHEME = "surveyapp-db"
DEFAULTS: dict[str, Any] = {
    "RATELIMIT_STORAGE_URI": f"{DATABASE_SCHEME}://",
    "RATELIMIT_STRATEGY": "fixed-window",
    "RATELIMIT_HEADERS_ENABLED": False,
    "LOGIN_LIMIT_PER_ACCOUNT": "10 per minute",
    "LOGIN_LIMIT_PER_ADDRESS": "200 per minute",
}
EXPIRED_KEPT_S = 3600  # expired counters are deleted once this much older


def client_address() -> str:
    return request.remote_addr or "unknown"


def login_email_key() -> str:
    """The account a login attempt is for: a hash of the email as typed (normalised), so
    the counters hold no addresses and keys stay short."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "account:" + hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]


def login_failed(_response: Any) -> bool:
    """Count an attempt only when it failed (the login view sets ``g.login_failed``)."""
    return bool(g.get("login_failed"))


def per_account_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def per_address_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


limiter = Limiter(key_func=client_address)


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(DATABASE_SCHEME + ":"):
        options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("engine", app.extensions["db_engine"])
        app.config["RATELIMIT_STORAGE_OPTIONS"] = options
    limiter.init_app(app)


class DatabaseStorage(Storage):
    """Fixed-window counters in a SQL table (``limits`` storage, scheme ``surveyapp-db``).

    ``incr`` is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement: a counter
    whose window has passed starts again at ``amount``. Needs the ``engine`` option (the
    app passes its own).
    """

    STORAGE_SCHEME = [DATABASE_SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 engine: Engine | None = None, **options: Any) -> None:
        if engine is None:
            raise ConfigurationError(f"{DATABASE_SCHEME}:// needs the 'engine' option")
        self.engine = engine
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        counter = RateLimitCounter
        expired = counter.expires_at <= now
        dialect = self.engine.dialect.name
        with self.engine.begin() as connection:
            if dialect in ("sqlite", "postgresql"):
                upsert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(counter)
                statement = upsert.values(key=key, count=amount, expires_at=now + expiry) \
                    .on_conflict_do_update(
                        index_elements=[counter.key],
                        set_={"count": case((expired, amount), else_=counter.count + amount),
                              "expires_at": case((expired, now + expiry),
                                                 else_=counter.expires_at)},
                    ).returning(counter.count)
                count = int(connection.execute(statement).scalar_one())
            else:  # another database: read, then write, in one transaction
                row = connection.execute(select(counter.count, counter.expires_at)
                                         .where(counter.key == key).with_for_update()).first()
                if row is None or row[1] <= now:
                    connection.execute(delete(counter).where(counter.key == key))
                    connection.execute(insert(counter).values(key=key, count=amount,
                                                              expires_at=now + expiry))
                    count = amount
                else:
                    count = int(row[0]) + amount
                    connection.execute(update(counter).where(counter.key == key)
                                       .values(count=count))
            connection.execute(delete(counter).where(counter.expires_at < now - EXPIRED_KEPT_S))
        return count

    def get(self, key: str) -> int:
        with self.engine.connect() as connection:
            count = connection.scalar(select(RateLimitCounter.count).where(
                RateLimitCounter.key == key, RateLimitCounter.expires_at > time.time()))
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as connection:
            expires = connection.scalar(select(RateLimitCounter.expires_at)
                                        .where(RateLimitCounter.key == key))
        return float(expires) if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.scalar(select(literal(1)))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))
