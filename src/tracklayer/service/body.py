"""Read a JSON request body into a pydantic model in one pass, as FastAPI would.

FastAPI decodes a body with :func:`json.loads` into Python objects and then validates
those, which costs about three times what pydantic-core's own JSON parser takes to
validate the bytes directly (:meth:`pydantic.BaseModel.model_validate_json`). A valid body
takes that fast path; a body it refuses is read again the way FastAPI reads it, so every
422 names the field in the same words as before (loc ``["body", ...]``, msg, type).

JSON nested deeper than :data:`MAX_JSON_DEPTH` levels (pydantic-core's parser limit; a
valid message is four deep) is refused with 422 ``json_too_deep`` before any other
parser reads it: Python's :func:`json.loads` would raise ``RecursionError`` on such a
body (100,000 brackets), which is not a validation error.

One difference in order: FastAPI refuses unreadable JSON before checking the token; the
routes using this module check the token first, so such a body without a valid token
gets 401 (and from a partner, its 422 is audited like every other refused body).
"""

from __future__ import annotations

import email.message
import json
from typing import Any, TypeVar

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

__all__ = [
    "declare_body_schemas",
    "is_json_content_type",
    "parse_json_body",
    "request_body_openapi",
]

M = TypeVar("M", bound=BaseModel)

#: Deepest JSON nesting read, levels (the recursion limit of pydantic-core's parser).
MAX_JSON_DEPTH = 200


def _too_deep(exc: ValidationError) -> bool:
    return any(
        e["type"] == "json_invalid" and "recursion limit" in e["msg"]
        for e in exc.errors(include_url=False)
    )


def _too_deep_error() -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "type": "json_too_deep",
                "loc": ("body",),
                "msg": f"JSON nested deeper than {MAX_JSON_DEPTH} levels",
                "input": None,
            }
        ]
    )


def is_json_content_type(content_type: str | None) -> bool:
    """Whether FastAPI would decode a body of this type as JSON (``application/*json``)."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def parse_json_body(model: type[M], body: bytes, content_type: str | None) -> M:
    """Validate a request body as ``model``.

    Raises
    ------
    RequestValidationError
        The body is empty, not JSON, or not a valid ``model``; its errors are those
        FastAPI gives for a body parameter of type ``model``.
    HTTPException
        400: a JSON body that is not UTF-8 text (as FastAPI answers).
    """
    as_json = is_json_content_type(content_type)
    if body and as_json:
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            if _too_deep(exc):
                raise _too_deep_error() from None
            # otherwise reported below exactly as FastAPI's own body reading words it
    if not body:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    if as_json:
        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            raise RequestValidationError(
                [
                    {
                        "type": "json_invalid",
                        "loc": ("body", exc.pos),
                        "msg": "JSON decode error",
                        "input": {},
                        "ctx": {"error": exc.msg},
                    }
                ],
                body=exc.doc,
            ) from None
        except RecursionError:
            raise _too_deep_error() from None
        except ValueError:  # not UTF-8 text: FastAPI answers 400, as here
            raise HTTPException(400, "There was an error parsing the body") from None
    else:
        value = body
    try:
        return model.model_validate(value, from_attributes=True)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)],
            body=value,
        ) from None


def request_body_openapi(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON body of ``model`` and its 422 answer.

    The schema itself is added to the components by the application's ``openapi()``.
    """
    return {
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
            "required": True,
        },
        "responses": {
            "422": {
                "description": "Validation Error",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/HTTPValidationError"}
                    }
                },
            }
        },
    }


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def declare_body_schemas(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    """Add the JSON schemas of bodies read by hand to the application's OpenAPI document.

    FastAPI lists only models that appear in a route's signature; these are parsed from
    the raw bytes instead, so their schemas are generated here the way FastAPI would.
    """
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = base()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                doc = TypeAdapter(model).json_schema(
                    ref_template="#/components/schemas/{model}", mode="validation"
                )
                # FastAPI writes its document without null values (no "default": null).
                doc = _without_nulls(doc)
                components.update(doc.pop("$defs", {}))
                components[model.__name__] = doc
            schema["components"]["schemas"] = dict(sorted(components.items()))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
