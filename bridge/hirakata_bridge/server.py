"""The WebSocket the terminal web app listens to: 127.0.0.1 only, and only
pages of the allowed origins (the point system's server)."""
import asyncio
import json
import threading

import websockets

from .reader import CardReader


class Bridge:
    "The reader in a thread, its cards and status sent to every page."

    def __init__(self, device, origins, host='127.0.0.1', port=8765,
            debounce=1.0):
        self.device, self.origins = device, list(origins)
        self.host, self.port, self.debounce = host, port, debounce
        self.clients = set()
        self.connected = None
        self.stop = threading.Event()

    def _send(self, message):
        data = json.dumps(message)
        for client in list(self.clients):
            asyncio.ensure_future(client.send(data))

    def _status(self, connected):
        "From the reader's thread: the state changes in the loop's."
        self.loop.call_soon_threadsafe(self._set_status, connected)

    def _set_status(self, connected):
        # Changed and sent in one step of the loop: a page connecting
        # meanwhile gets the status once, from _handler or from here.
        self.connected = connected
        self._send(self._status_message())

    def _status_message(self):
        return {'type': 'status',
            'reader': 'connected' if self.connected else 'missing'}

    def _card(self, card):
        self.loop.call_soon_threadsafe(self._send, dict(card, type='card'))

    async def _handler(self, websocket):
        self.clients.add(websocket)
        try:
            if self.connected is not None:  # else sent once the reader says
                await websocket.send(json.dumps(self._status_message()))
            await websocket.wait_closed()
        finally:
            self.clients.discard(websocket)

    async def serve(self, ready=None):
        self.loop = asyncio.get_running_loop()
        reader = CardReader(self.device, self._card, self._status,
            debounce=self.debounce)
        thread = threading.Thread(target=reader.run, args=(self.stop,),
            daemon=True)
        async with websockets.serve(self._handler, self.host, self.port,
                origins=self.origins) as server:
            self.port = server.sockets[0].getsockname()[1]
            thread.start()
            if ready:
                ready.set()
            while not self.stop.is_set():
                await asyncio.sleep(0.1)
        thread.join(timeout=5)
