"""localstripe (a fake Stripe API; GPL, test-only) served from inside the test process.

Its own ``localstripe`` command listens on every interface and keeps its state in a fixed
``/tmp/localstripe.pickle``. Here its aiohttp routes are mounted on a fresh application bound to
127.0.0.1 on a free port, run by an event loop in a background thread, with the state file in a
directory of the caller's choosing. Three gaps between localstripe and Stripe are closed here,
each the way Stripe documents it, because the code under test relies on them (plus one
for a clean shutdown):

* **Idempotency keys.** localstripe ignores ``Idempotency-Key``. Stripe saves the status and body
  of the first POST made with a key and replays them for any later request with the same key
  (header ``Idempotent-Replayed: true``); the same key with other parameters or on another
  endpoint is a 400 ``idempotency_error``; a key whose first request is still running is a 409.
  Requests that fail validation (400, 401, 404) are not saved. This is done by a middleware.
* **``receipt_email`` on PaymentIntents** is a normal Stripe parameter that localstripe rejects;
  it is accepted and kept on the intent.
* **No keep-alive.** Each response closes its connection, so that once :meth:`LocalStripe.stop`
  returns, no client's pooled connection keeps the port busy.
* **Reset.** ``DELETE /_config/data`` empties localstripe's store but keeps the registered
  webhooks and the webhook sends still waiting out their one-second delay (which would deliver
  an earlier test's events to the next test's endpoint); here it forgets those too, and the saved
  idempotent results.

Every request's method, path and idempotency key are recorded in :attr:`LocalStripe.requests`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import json
import pickle
import socket
import threading
import time
import warnings
from pathlib import Path
from urllib.parse import parse_qsl

import requests
from aiohttp import web

# Stripe saves no idempotent result for a request refused before it ran (validation, auth, 409).
_NOT_SAVED = {400, 401, 404, 409, 429}


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends: ``t=<ts>,v1=<HMAC-SHA256 of "<ts>.<payload>">``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event_id: str, event_type: str, obj: dict, *, created: int | None = None) -> bytes:
    """A v1 event body shaped like Stripe's, around ``obj``."""
    return json.dumps({
        "id": event_id, "object": "event", "api_version": "2024-06-20",
        "created": int(time.time()) if created is None else created, "livemode": False,
        "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
        "type": event_type, "data": {"object": obj},
    }).encode()


class LocalStripe:
    def __init__(self, state_dir: Path) -> None:
        self.state_file = Path(state_dir) / "localstripe.pickle"
        self.requests: list[tuple[str, str, str | None]] = []
        self._idempotent: dict[tuple[str, str], dict] = {}
        self._in_flight: set[tuple[str, str]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._undo: list = []
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> LocalStripe:
        self._patch_localstripe()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # As every server does (and localstripe's own command): its connections' TIME_WAIT after
        # stop() then does not keep the port from being bound again.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(self._application(), access_log=None)
        started = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._runner.setup())
                self._loop.run_until_complete(web.SockSite(self._runner, sock).start())
            except BaseException as exc:  # noqa: BLE001 - reported by start() below
                failure.append(exc)
                started.set()
                return
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="localstripe", daemon=True)
        self._thread.start()
        if not started.wait(10) or failure:
            self.stop()
            raise RuntimeError(f"localstripe did not start: {failure}")
        return self

    def stop(self) -> None:
        """Stop serving, cancel pending webhook sends, close the socket, undo the patches."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive() and loop.is_running():
            async def shutdown() -> None:
                if self._runner is not None:
                    await self._runner.cleanup()
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in tasks:  # localstripe's delayed webhook sends
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        if loop is not None and not loop.is_running():
            loop.close()
        self._loop = self._thread = self._runner = None
        while self._undo:
            self._undo.pop()()

    def __enter__(self) -> LocalStripe:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers for tests ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every object, webhook and saved idempotent result."""
        requests.delete(f"{self.base_url}/_config/data", timeout=5).raise_for_status()
        self.requests.clear()

    def register_webhook(self, name: str, url: str, secret: str, events: list[str]) -> None:
        response = requests.post(
            f"{self.base_url}/_config/webhooks/{name}",
            data={"url": url, "secret": secret, "events[]": events}, timeout=5,
        )
        response.raise_for_status()

    # -- inside ---------------------------------------------------------------------------------

    def _patch_localstripe(self) -> None:
        from localstripe import resources

        store, state_file = resources.store, self.state_file

        def dump_to_disk() -> None:
            with open(state_file, "wb") as f:
                pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)

        def try_load_from_disk() -> None:
            if state_file.exists():
                with open(state_file, "rb") as f:
                    store.clear()
                    dict.update(store, pickle.load(f))

        # Instance attributes shadow Store's methods, which name the fixed /tmp file.
        store.dump_to_disk, store.try_load_from_disk = dump_to_disk, try_load_from_disk
        self._undo.append(lambda: (vars(store).pop("dump_to_disk", None),
                                   vars(store).pop("try_load_from_disk", None)))

        original_init = resources.PaymentIntent.__init__

        def init(intent, *args, receipt_email=None, **kwargs):
            original_init(intent, *args, **kwargs)
            intent.receipt_email = receipt_email

        resources.PaymentIntent.__init__ = init
        self._undo.append(lambda: setattr(resources.PaymentIntent, "__init__", original_init))

    def _application(self) -> web.Application:
        with warnings.catch_warnings():  # its module registers plain functions as handlers
            warnings.simplefilter("ignore", DeprecationWarning)
            from localstripe import server

        # A fresh Application each time: localstripe's module-level one binds to the first loop.
        app = web.Application(middlewares=[self._middleware, *server.app.middlewares])
        for route in server.app.router.routes():
            app.router.add_route(route.method, route.resource.canonical, _as_coroutine(route.handler))
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        response = await self._handle(request, handler)
        # No keep-alive: a pooled client connection would hold the port after stop().
        response.force_close()
        return response

    async def _handle(self, request: web.Request, handler):
        key = request.headers.get("Idempotency-Key")
        self.requests.append((request.method, request.path, key))
        if request.method == "DELETE" and request.path == "/_config/data":
            from localstripe import webhooks

            response = await handler(request)
            webhooks._webhooks.clear()
            for task in asyncio.all_tasks():  # sends still waiting out localstripe's 1 s delay
                if task.get_coro().__qualname__ == webhooks._send_webhook.__qualname__:
                    task.cancel()
            self._idempotent.clear()
            self._in_flight.clear()
            return response
        if request.method != "POST" or not key or not request.path.startswith("/v1/"):
            return await handler(request)
        scope = (request.headers.get("Authorization", ""), key)
        # Stripe compares parameters, not bytes. aiohttp keeps the body: the handler reads it again.
        body = sorted(parse_qsl((await request.read()).decode(), keep_blank_values=True))
        saved = self._idempotent.get(scope)
        if saved is not None:
            if saved["path"] != request.path:
                return _idempotency_error(
                    "Keys for idempotent requests can only be used for the same endpoint they "
                    "were first used for.")
            if saved["body"] != body:
                return _idempotency_error(
                    "Keys for idempotent requests can only be used with the same parameters they "
                    "were first used with.")
            return web.Response(body=saved["response"], status=saved["status"],
                                content_type="application/json",
                                headers={"Idempotent-Replayed": "true", "Idempotency-Key": key})
        if scope in self._in_flight:
            return web.json_response(
                {"error": {"type": "invalid_request_error", "code": "idempotency_key_in_use",
                           "message": "There is currently another in-progress request using "
                                      "this Stripe-Idempotency-Key."}}, status=409)
        self._in_flight.add(scope)
        try:
            response = await handler(request)
        finally:
            self._in_flight.discard(scope)
        if response.status not in _NOT_SAVED and isinstance(response, web.Response):
            self._idempotent[scope] = {"path": request.path, "body": body,
                                       "status": response.status, "response": response.body}
        response.headers["Idempotency-Key"] = key
        return response


def _as_coroutine(handler):
    """localstripe's GET and DELETE handlers are plain functions, which aiohttp deprecates."""
    if inspect.iscoroutinefunction(handler):
        return handler

    async def run(request):
        return handler(request)

    return run


def _idempotency_error(message: str) -> web.Response:
    return web.json_response({"error": {"type": "idempotency_error", "message": message}}, status=400)
