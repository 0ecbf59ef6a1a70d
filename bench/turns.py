"""A loopback TCP proxy to PostgreSQL that counts network round trips (used by bench/store.py and the tests)."""

import asyncio

__all__ = ("PG_HOST", "PG_PORT", "TurnCounter")

PG_HOST = "127.0.0.1"
PG_PORT = 5432


class TurnCounter:
    """A loopback TCP proxy to PostgreSQL that counts request/response turns (one per network round trip)."""

    def __init__(self) -> None:
        self.turns = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(PG_HOST, PG_PORT)
        last = {"side": "server"}

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, side: str) -> None:
            try:
                while data := await reader.read(65536):
                    if side == "client" and last["side"] == "server":
                        self.turns += 1
                    last["side"] = side
                    writer.write(data)
                    await writer.drain()
            finally:
                writer.close()

        await asyncio.gather(
            pump(client_reader, server_writer, "client"),
            pump(server_reader, client_writer, "server"),
            return_exceptions=True,
        )
