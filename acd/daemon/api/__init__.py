"""The REST API under /v1: JSON in and out, bearer tokens, stable error codes.

routes       the one route table (server and OpenAPI document are made from it)
middleware   authentication, the JSON wrapper, errors as {"error": {"code", "message"}}
bodies       request bodies (pydantic)          queries   query parameters, as documented
access       reaching the core from a handler   errors    the error body and ApiError
agents, calls, campaigns, compliance, admin     the handlers, one module per resource
endpoints    raw routes: metrics, event stream, readiness, wallboard files
openapi      the OpenAPI 3 document
"""

from acd.daemon.api.errors import ApiError
from acd.daemon.api.middleware import add_routes, errors_and_auth
from acd.daemon.api.route import Route
from acd.daemon.api.routes import ROUTES

__all__ = ["ROUTES", "ApiError", "Route", "add_routes", "errors_and_auth"]
