"""HTTP for the harvester: one polite GET with timeouts, retries, a rate limit, a size cap and
conditional requests, whose every failure is a :class:`FetchError` with a stable code of the
catalogue (``schema/problems.yaml``, stage ``harvest``).

The offices' sites are slow, flaky and sometimes hostile; the build must never hang on one of them
nor take a broken answer for data.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3

from openepb.contract import problems
from openepb.harvest.links import site_host

#: Statuses worth asking again: the server may recover within the backoff.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
#: Faults worth asking again whatever the status: the network or the server may recover.
RETRY_CODES = frozenset({"harvest_timeout", "harvest_connect", "harvest_truncated", "harvest_dns"})
USER_AGENT = "openepb-harvester/0.1 (open register of industrial safety expertise conclusions)"


def fault_message(code: str, detail: str = "") -> str:
    """The Russian title of a harvest fault, with its detail (status, sizes, host) in brackets."""
    text = problems.spec(code, "harvest").title
    return f"{text} ({detail})" if detail else text


class FetchError(Exception):
    """A fetch that failed for good (after retries); ``reason`` is a harvest code of the catalogue."""

    def __init__(self, reason: str, url: str, detail: str = "", status: int | None = None) -> None:
        problems.spec(reason, "harvest")
        self.reason = reason
        self.url = url
        self.detail = detail
        self.status = status
        super().__init__(f"{reason}: {url} {detail}".strip())

    @property
    def message(self) -> str:
        return fault_message(self.reason, self.detail)


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how patiently to fetch. Tests shrink the waits to zero."""

    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    retries: int = 3  # further attempts after the first
    backoff: float = 2.0  # seconds before the first retry, doubled each time
    host_interval: float = 1.0  # at least this many seconds between two requests to one host
    max_bytes: int = 200 * 1024 * 1024
    max_redirects: int = 10
    robots: bool = True  # robots.txt decides which sub-pages of a register section are crawled


@dataclass
class Fetched:
    """A successful answer: 200 with the body in ``path``, or 304 (``not_modified``, no body)."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    not_modified: bool
    path: Path | None = None
    sha256: str | None = None
    size: int = 0
    attempts: int = 1


@dataclass
class HostClock:
    """Per-host rate limit: waits until ``interval`` has passed since the host's last request."""

    interval: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    last: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, url: str) -> None:
        host = site_host(url)  # www. and the bare host are one server to be polite to
        with self.lock:
            previous = self.last.get(host)
            if previous is not None:
                delay = previous + self.interval - self.clock()
                if delay > 0:
                    self.sleep(delay)
            self.last[host] = self.clock()


def make_session() -> requests.Session:
    """A Session that takes HTTP(S)_PROXY / NO_PROXY from the environment (``trust_env``)."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.trust_env = True
    return session


class Fetcher:
    """Fetches URLs into files under ``tmp_dir``; see :meth:`get`."""

    def __init__(
        self,
        session: requests.Session,
        tmp_dir: Path,
        policy: FetchPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.policy = policy or FetchPolicy()
        self.session.max_redirects = self.policy.max_redirects
        self.tmp_dir = tmp_dir
        self.sleep = sleep
        self.hosts = HostClock(self.policy.host_interval, sleep=sleep)
        self.requests = 0
        self.conditional_requests = 0

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET with retries and exponential backoff; raises :class:`FetchError` when all fail."""
        attempt = 0
        while True:
            attempt += 1
            try:
                fetched = self._get_once(url, etag, last_modified)
                fetched.attempts = attempt
                return fetched
            except FetchError as err:
                if attempt > self.policy.retries or not _worth_retrying(err):
                    raise
                self.sleep(self.policy.backoff * 2 ** (attempt - 1))

    def _get_once(self, url: str, etag: str | None, last_modified: str | None) -> Fetched:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self.hosts.wait(url)
        self.requests += 1
        self.conditional_requests += bool(headers)
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        try:
            response = self.session.get(url, headers=headers, timeout=timeout, stream=True)
        except requests.TooManyRedirects as err:
            raise FetchError(
                "harvest_redirect_loop", url, f"более {self.policy.max_redirects} переадресаций"
            ) from err
        except requests.RequestException as err:
            raise _classify(err, url) from err
        except (ValueError, OSError) as err:  # a malformed URL or header must not stop the run
            raise FetchError("harvest_http_error", url, f"{type(err).__name__}: {err}"[:200]) from err
        with response:
            return self._take_response(url, response)

    def _take_response(self, url: str, response: requests.Response) -> Fetched:
        head = {k: v for k, v in response.headers.items()}
        if response.status_code == 304:
            return Fetched(url, response.url, 304, head, not_modified=True)
        if response.status_code >= 400:
            reason = "harvest_forbidden" if response.status_code == 403 else "harvest_http_error"
            raise FetchError(reason, url, f"HTTP {response.status_code}", status=response.status_code)
        if response.status_code != 200:
            raise FetchError(
                "harvest_http_error", url, f"HTTP {response.status_code}", status=response.status_code
            )
        path, sha, size = self._save_body(url, response)
        return Fetched(url, response.url, 200, head, False, path, sha, size)

    def _save_body(self, url: str, response: requests.Response) -> tuple[Path, str, int]:
        cap = self.policy.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError("harvest_oversize", url, f"{declared} байт > {cap}")
        digest, size = hashlib.sha256(), 0
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, suffix=".part")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in response.iter_content(chunk_size=1 << 16):
                    size += len(chunk)
                    if size > cap:
                        raise FetchError("harvest_oversize", url, f"> {cap} байт")
                    digest.update(chunk)
                    out.write(chunk)
            encoded = response.headers.get("Content-Encoding", "identity") != "identity"
            if declared and declared.isdigit() and not encoded and size < int(declared):
                raise FetchError("harvest_truncated", url, f"{size} из {declared} байт")
        except requests.RequestException as err:
            path.unlink(missing_ok=True)
            raise _classify(err, url) from err
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path, digest.hexdigest(), size


def _worth_retrying(err: FetchError) -> bool:
    if err.reason in RETRY_CODES:
        return True
    return err.reason == "harvest_http_error" and err.status in RETRY_STATUSES


def _classify(err: requests.RequestException, url: str) -> FetchError:
    """A requests/urllib3 exception → a reason code a person understands."""
    if isinstance(err, requests.Timeout):
        return FetchError("harvest_timeout", url, type(err).__name__)
    if isinstance(err, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return FetchError("harvest_truncated", url, str(err)[:200])
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__ or _first_arg_exception(current)
    if any(isinstance(e, urllib3.exceptions.NameResolutionError) for e in chain) or any(
        "Name or service not known" in str(e) or "getaddrinfo failed" in str(e) for e in chain
    ):
        return FetchError("harvest_dns", url, urlsplit(url).hostname or "")
    if any(isinstance(e, urllib3.exceptions.ProtocolError) for e in chain):
        return FetchError("harvest_truncated", url, str(err)[:200])
    if isinstance(err, requests.ConnectionError):
        return FetchError("harvest_connect", url, str(err)[:200])
    return FetchError("harvest_http_error", url, f"{type(err).__name__}: {err}"[:200])


def _first_arg_exception(err: BaseException) -> BaseException | None:
    for arg in getattr(err, "args", ()):
        if isinstance(arg, BaseException):
            return arg
        reason = getattr(arg, "reason", None)
        if isinstance(reason, BaseException):
            return reason
    return getattr(err, "reason", None) if isinstance(getattr(err, "reason", None), BaseException) else None
