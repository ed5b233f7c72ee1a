"""The API's error body, {"error": {"code", "message"}}, and the exception handlers raise."""

from __future__ import annotations

from aiohttp import web


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
