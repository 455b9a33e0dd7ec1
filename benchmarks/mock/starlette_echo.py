"""The baseline: a bare Starlette app that echoes the request body as JSON (one route)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/json")


app = Starlette(routes=[Route("/v1/chat/completions", echo, methods=["POST"])])
