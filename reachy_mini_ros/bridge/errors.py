"""Turn every error into the JSON shape {error, message, timestamp}."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reachy_mini_ros.bridge.logs import get_logger

log = get_logger("reachy_mini.bridge.errors")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    503: "service_unavailable",
    504: "timeout",
}


class ReachyMiniError(Exception):
    """A business error: the request was understood but cannot be carried out."""

    def __init__(self, code: str, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """Return the JSON body of an error answer."""
    return {"error": code, "message": message, "timestamp": time.time(), **extra}


def install_error_handlers(app: FastAPI, *, debug: bool) -> None:
    """Register the handlers that give every error the same shape."""

    @app.exception_handler(ReachyMiniError)
    async def business_error(request: Request, exc: ReachyMiniError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = jsonable_encoder(exc.errors(), custom_encoder={Exception: str})
        for item in errors:
            item.pop("ctx", None)
            item.pop("input", None)
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid request')}" if first else "invalid request"
        return JSONResponse(
            error_body("validation_error", message, detail=errors), status_code=422
        )

    @app.exception_handler(Exception)
    async def unhandled_error(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled_error",
            path=request.url.path,
            error=type(exc).__name__,
            exc_info=exc,
        )
        message = f"{type(exc).__name__}: {exc}" if debug else "internal server error"
        return JSONResponse(error_body("internal_error", message), status_code=500)
