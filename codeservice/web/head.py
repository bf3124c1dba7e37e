"""HEAD answered as GET without the body, on every page and API route.

Link checkers, mail scanners and uptime monitors ask with HEAD; HTTP says a server
answers it as it would GET, minus the body (RFC 9110 §9.3.2). FastAPI's routes answer
only the methods they name, so without this a HEAD of any page, of ``/healthz`` or of
the API (whose read routes take a session for GET and HEAD alike) was a 405. A GET
changes nothing on this service, so neither does a HEAD. Innermost, so that the access
log still shows HEAD; the server sends no body for HEAD on its own part too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
