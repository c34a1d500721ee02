"""Where the current change comes from (request IP, connected system), kept per
request or task in a context variable so that service functions need not pass it."""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    ip: str | None = None
    client: str = ""


_current: ContextVar[Source] = ContextVar("audit_source", default=Source())  # noqa: B039 (frozen)


def current_source() -> Source:
    return _current.get()


@contextmanager
def audit_source(ip: str | None = None, client: str = ""):
    token = _current.set(Source(ip=ip, client=client))
    try:
        yield
    finally:
        _current.reset(token)
