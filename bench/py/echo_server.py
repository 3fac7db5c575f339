"""The uvloop echo server of ferrio-bench's network family: asyncio streams
(start_server, StreamReader.read, StreamWriter.write + drain) on uvloop.
Prints `listening PORT` once bound, then serves until killed."""

import asyncio

import uvloop


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(), loop_factory=uvloop.new_event_loop)
