"""HTTP side of the partner client: posts that retry without duplicating, and reads.

The service acknowledges a message (201) only once it is durably committed, answers a
re-sent message id with 200 and ``duplicate: true`` (stored once), and answers 503 while
its writer is unavailable. A post that timed out may therefore have been stored or not;
re-sending the identical body, same ``message_id``, is always safe, so the client retries
transport errors and 429/502/503/504 answers with capped exponential back-off, and raises
:class:`ClientError` at once for a refusal (400, 401, 403, 409, 413, 422).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import httpx

__all__ = ["Ack", "ClientError", "PartnerClient", "RetryPolicy", "ServiceUnavailable"]

#: Answers worth retrying: the service (or a proxy before it) is busy or restarting.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class ClientError(Exception):
    """The service refused a request; retrying the same request would not help.

    Attributes
    ----------
    status : int
        The HTTP status code.
    detail : Any
        The service's ``detail`` (a message, or a list of field errors with ``loc``).
    """

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class ServiceUnavailable(Exception):
    """The service did not acknowledge a request within the retry policy's attempts."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried.

    Attributes
    ----------
    attempts : int
        Tries in all (the first one included), >= 1.
    backoff_s : float
        Wait before the second try, s; doubled after each further try.
    max_backoff_s : float
        Longest wait between two tries, s (also the cap of a ``Retry-After`` header).
    """

    attempts: int = 8
    backoff_s: float = 0.2
    max_backoff_s: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")
        if self.backoff_s < 0 or self.max_backoff_s < 0:
            raise ValueError("backoff_s and max_backoff_s must be >= 0")

    def wait_s(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), self.max_backoff_s)
            except ValueError:
                pass
        return float(min(self.backoff_s * 2.0 ** (attempt - 1), self.max_backoff_s))


@dataclass(frozen=True)
class Ack:
    """The service's acknowledgement of one message.

    Attributes
    ----------
    message_id : str
        The message acknowledged.
    accepted : int
        Records stored by the message (the count stored the first time, on a retry).
    duplicate : bool
        True when the service had stored the message before (a retry of a lost answer).
    retries : int
        Tries this client needed beyond the first.
    """

    message_id: str
    accepted: int
    duplicate: bool
    retries: int


def _detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    return body.get("detail", body) if isinstance(body, dict) else body


class PartnerClient:
    """One partner's connection to the picture service.

    Parameters
    ----------
    base_url : str
        The service's root, e.g. ``http://127.0.0.1:8000``.
    token : str
        The partner's bearer token (``tracklayer partner add CODE`` prints it).
    timeout_s : float
        Time allowed for each request, s.
    retry : RetryPolicy
        Retries of posts and reads.
    transport : httpx.BaseTransport, optional
        Replaces the network (tests, proxies).
    sleep : callable, optional
        Waits between tries (``time.sleep``; tests pass a recorder).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token:
            raise ValueError("token must not be empty")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
            transport=transport,
        )
        #: Tries beyond the first, over this client's life.
        self.retries = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Any = None,
        content_type: str = "application/json",
    ) -> tuple[httpx.Response, int]:
        """Send one request, retrying what may succeed later; (answer, retries)."""
        headers = {"Content-Type": content_type} if content is not None else None
        last: str = ""
        for attempt in range(1, self.retry.attempts + 1):
            retry_after = None
            try:
                response = self._http.request(
                    method, path, content=content, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response, attempt - 1
                if response.status_code not in RETRY_STATUSES:
                    raise ClientError(response.status_code, _detail(response))
                last = f"HTTP {response.status_code}: {_detail(response)}"
                retry_after = response.headers.get("Retry-After")
            if attempt < self.retry.attempts:
                self.retries += 1
                self._sleep(self.retry.wait_s(attempt, retry_after))
        raise ServiceUnavailable(
            f"{method} {path}: no answer after {self.retry.attempts} tries ({last})"
        )

    def _post(self, path: str, message: Mapping[str, Any]) -> Ack:
        if not message.get("message_id"):
            raise ValueError("a message needs a message_id (it makes retries safe)")
        # Serialized once: every retry sends the very same bytes.
        body = json.dumps(message, separators=(",", ":")).encode()
        return _ack(*self._request("POST", path, content=body))

    def post_tracks(self, message: Mapping[str, Any]) -> Ack:
        """Post national track states (see :func:`~tracklayer.client.track_message`)."""
        return self._post("/api/v1/tracks", message)

    def post_detections(self, message: Mapping[str, Any]) -> Ack:
        """Post detections: ``{"message_id", "releasable_to", "detections": [...]}``."""
        return self._post("/api/v1/detections", message)

    def post_tdm(self, tdm: str, params: Mapping[str, Any]) -> Ack:
        """Post one sensor's detections as a CCSDS TDM (KVN text).

        Parameters
        ----------
        tdm : str
            The TDM; the same text on every retry (its ``CREATION_DATE`` included).
        params : mapping
            The route's query: ``message_id``, ``sensor_kind``, ``sigma_rad``,
            ``releasable_to`` ("all" or codes joined by commas), and the sensor's ECEF
            position (``sensor_x_m``..``sensor_z_m``) or ground site (``site_lat_deg``,
            ``site_lon_deg``, ``site_alt_m``), ``sigma_range_m`` with ranges.
        """
        if not params.get("message_id"):
            raise ValueError("a message needs a message_id (it makes retries safe)")
        return _ack(
            *self._request(
                "POST",
                "/api/v1/detections/tdm",
                content=tdm.encode(),
                params=_query(params),
                content_type="text/plain",
            )
        )

    def _get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=_query(params))[0].json()

    def server_clock(self) -> tuple[int, float]:
        """The service's clock: see :func:`clock_from_health`."""
        return clock_from_health(self._get_json("/health"))

    def me(self) -> dict[str, Any]:
        """The partner this token belongs to: ``{"code", "name"}``."""
        return dict(self._get_json("/api/v1/me"))

    def picture(self, at: datetime | None = None, max_age_s: float = 60.0) -> dict[str, Any]:
        """The picture this partner sees: national tracks and fused (system) tracks."""
        return dict(self._get_json("/api/v1/picture", {"at": at, "max_age_s": max_age_s}))

    def tracks(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        tracker: str | None = None,
        limit: int = 10_000,
    ) -> dict[str, Any]:
        """Visible national track states in a time range: ``{"tracks", "truncated"}``."""
        params = {"start": start, "end": end, "tracker": tracker, "limit": limit}
        return dict(self._get_json("/api/v1/tracks", params))

    def export_parquet(
        self, start: datetime | None = None, end: datetime | None = None, limit: int = 100_000
    ) -> bytes:
        """Visible national track states as a Parquet ``tracks`` table (bytes)."""
        params = _query({"start": start, "end": end, "limit": limit})
        return self._request("GET", "/api/v1/export/parquet", params=params)[0].content


def clock_from_health(health: Mapping[str, Any]) -> tuple[int, float]:
    """The service's clock from its ``/health`` answer: (its now, UTC ns since the Unix
    epoch; its rate, picture seconds per wall second: 1 unless ``serve --clock-rate``).
    A service that does not publish its clock runs on the wall clock."""
    if "clock_time" not in health:
        return time.time_ns(), 1.0
    when = datetime.fromisoformat(str(health["clock_time"]).replace("Z", "+00:00"))
    return round(when.timestamp() * 1e6) * 1000, float(health["clock_rate"])


def service_clock(server: str, retry: RetryPolicy | None = None) -> tuple[int, float]:
    """The clock of the service at ``server`` (no token needed): see :func:`clock_from_health`.

    Raises
    ------
    ServiceUnavailable
        The service did not answer after the retries.
    """
    retry = retry or RetryPolicy()
    last = ""
    for attempt in range(1, retry.attempts + 1):
        try:
            response = httpx.get(f"{server.rstrip('/')}/health", timeout=30.0)
            if response.status_code == 200:
                return clock_from_health(response.json())
            last = f"HTTP {response.status_code}"
        except httpx.TransportError as exc:
            last = f"{type(exc).__name__}: {exc}"
        if attempt < retry.attempts:
            time.sleep(retry.wait_s(attempt))
    raise ServiceUnavailable(f"GET /health: no answer after {retry.attempts} tries ({last})")


def _ack(response: httpx.Response, retries: int) -> Ack:
    ack = response.json()
    return Ack(ack["message_id"], int(ack["accepted"]), bool(ack["duplicate"]), retries)


def _query(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Query parameters without the unset ones, times in ISO 8601."""
    if params is None:
        return None
    return {
        k: v.isoformat() if isinstance(v, datetime) else v
        for k, v in params.items()
        if v is not None
    }
