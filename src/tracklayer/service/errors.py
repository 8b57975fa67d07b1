"""One mapping from the service's domain errors to HTTP answers.

Routes raise what the domain raises (:class:`~tracklayer.service.ingest.IngestRejected`,
:class:`~tracklayer.service.ingest.MessageConflict`,
:class:`~tracklayer.service.writer.WriterUnavailable`); the handlers installed here turn
each into its status code and body, the same for every route. Anything else is logged
with its traceback and answered 500 without one.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tracklayer.service.audit import Auditor
from tracklayer.service.ingest import IngestRejected, MessageConflict
from tracklayer.service.writer import WriterUnavailable

__all__ = ["RETRY", "STATUS_OF", "install_error_handlers", "rejected_detail"]

log = logging.getLogger("tracklayer.service")

#: Why a 503 asks for a retry.
RETRY = (
    "The writer process ended before answering (it is being restarted): the message may "
    "or may not be stored; send it again with the same message id"
)

#: Status code of each domain error.
STATUS_OF: dict[type[Exception], int] = {
    IngestRejected: 422,
    MessageConflict: 409,
    WriterUnavailable: 503,
}


def rejected_detail(exc: IngestRejected) -> list[dict[str, object]]:
    """The 422 body's ``detail`` of a refused message, shaped like FastAPI's own."""
    return [{"loc": list(exc.loc), "msg": exc.msg, "type": "value_error"}]


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    status = next(STATUS_OF[t] for t in type(exc).__mro__ if t in STATUS_OF)
    if isinstance(exc, IngestRejected):
        return JSONResponse({"detail": rejected_detail(exc)}, status_code=status)
    if isinstance(exc, WriterUnavailable):
        return JSONResponse({"detail": RETRY}, status_code=status, headers={"Retry-After": "1"})
    return JSONResponse({"detail": str(exc)}, status_code=status)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    partner = getattr(request.state, "partner", None)
    if partner is not None:
        engine = request.app.state.service.engine
        await Auditor(engine, partner, request.url.path).off_loop("rejected", 0, 422)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    return JSONResponse({"detail": "internal error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Answer domain errors, refused requests and unexpected errors the same on every route."""
    for error in STATUS_OF:
        app.add_exception_handler(error, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _internal_error)
