"""A lean HTTP/1.1 client for the load generator: keep-alive connections over asyncio
streams, any number of them, each reused last-in first-out.

Why not httpx here: the generator shares the machine's two cores with the server it
measures, and httpx costs the client about 1.3 ms of CPU a request with a few
connections and several times that with the hundreds an open loop at twice the peak
keeps open (measured: 2.4 ms of the generator's CPU per helpline pair in a closed loop,
12 ms per pair under overload). The generator then fell behind its own schedule by
seconds, and what P4 measured under overload was the generator. This client costs a
small fraction of that, the same at any number of connections. It speaks only what
the service answers here: a ``Content-Length`` body, no chunks, no TLS, no redirects.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

KEEP_IDLE_SECONDS = 2.0  # an idle connection older than this is closed, not reused


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LeanClient:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host = host
        self.port = port
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host, **headers}.items())
        # (reader, writer, when it went idle): the most recent on top
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.opened = 0

    @classmethod
    def to(cls, base: str, headers: dict[str, str]) -> LeanClient:
        host, port = base.removeprefix("http://").split(":")
        return cls(host, int(port), headers)

    async def post(self, path: str, body: dict[str, Any]) -> Answer:
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\n{self.fixed}"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        return await self.send(head.encode() + data)

    async def send(self, request: bytes) -> Answer:
        now = time.monotonic()
        while self.idle and now - self.idle[-1][2] > KEEP_IDLE_SECONDS:
            self.idle.pop()[1].close()  # the server may have closed it (uvicorn: after 5 s)
        if self.idle:
            reader, writer, _since = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self.opened += 1
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:
            raise RuntimeError(f"no Content-Length in the answer: {lines[0]}")
        body = await reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return Answer(status, headers, body)

    async def close(self) -> None:
        for _reader, writer, _since in self.idle:
            writer.close()
        self.idle.clear()
