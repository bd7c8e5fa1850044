"""Serve the WebSocket protocol of docs/websocket.md.

Every client owns one latest-value slot per channel and one sender task. Publishing a frame
only replaces slots and sets events, so a stalled client loses frames, holds no backlog and
never delays the others; frames are serialised once per sample and shared by all clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.websockets import WebSocket, WebSocketState

from reachy_mini_ros.bridge.config import MAX_MESSAGE_BYTES
from reachy_mini_ros.bridge.logs import get_logger
from reachy_mini_ros.bridge.metrics import Metrics
from reachy_mini_ros.bridge.ws_messages import (
    CHANNELS,
    DEFAULT_RATE_HZ,
    NEWS_CHANNELS,
    UNION_TAGS,
    Channel,
    CommandResultMessage,
    ErrorCode,
    ErrorMessage,
    HelloMessage,
    MessageId,
    PingMessage,
    PongMessage,
    StaleMessage,
    SubscribedMessage,
    SubscribeMessage,
    UnsubscribeMessage,
)

# A client that takes more than 10 s to accept one frame (600 frames at 60 Hz) has stalled;
# it is disconnected so that its socket buffers are released. Until then it only loses frames.
SEND_TIMEOUT_S = 10.0
# joint_states comes at the loop rate (200 Hz, every 5 ms): when a client's next frame is due,
# waiting for the next sample sends it fresh instead of up to 5 ms old. 20 ms bounds the wait
# when the stream stops. Sporadic channels (diagnostics, events) are sent right at `due`.
STREAM_GRACE_S = {"joint_states": 0.02}
# Replies (pong, command_result...) waiting for a slow client; older ones are dropped.
MAX_PENDING_REPLIES = 64
# Channels whose frames wait in the client's queue of replies instead of a latest-value slot:
# a move's end and the next move's start come within a millisecond when a goto replaces a
# running move, and neither may replace the other. They come a few per move.
QUEUED_CHANNELS: frozenset[Channel] = frozenset({"moves"})
CLOSE_TIMEOUT_S = 1.0
# A due frame replaced within 1 ms was about to be sent: not a sign of a slow client.
DROP_GRACE_S = 0.001
# Close code sent to every client when the bridge shuts down ("going away").
CLOSE_GOING_AWAY = 1001
# Protocol messages nest 4 levels at most (command, args, goals); deeper input is refused
# before anything walks it, since recursive code (repr, validation, serialisation) would hit
# Python's or orjson's recursion limit.
MAX_DEPTH = 16
# joint_states comes at 200 Hz: 0.5 s without a sample (100 missed) means the hardware node
# stalled or left. The watchdog looks at this period.
STALE_AFTER_S = 0.5
STALE_CHECK_S = 0.1
# How much of a client's value an error message quotes.
QUOTE_CHARS = 64

log = get_logger("reachy_mini.bridge.ws")

# The messages the hub answers itself, and the error code of each when it is malformed.
REQUESTS: dict[str, tuple[type[BaseModel], ErrorCode]] = {
    "ping": (PingMessage, "invalid_message"),
    "subscribe": (SubscribeMessage, "invalid_subscription"),
    "unsubscribe": (UnsubscribeMessage, "invalid_subscription"),
}
MESSAGE_ID: TypeAdapter[MessageId] = TypeAdapter(MessageId)


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Return True when lists and objects nest in value deeper than limit (no recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def quote(value: object) -> str:
    """Return a short text naming a client's value: a string quoted and cut, else its type."""
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 4] + "...'"
    if value is None or isinstance(value, (bool, int, float)):
        return orjson.dumps(value).decode()
    return "an object" if isinstance(value, dict) else "a list"


def describe(error: ValidationError) -> str:
    """Return the first problem of a client message as `where: what`."""
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if p not in UNION_TAGS)
    return f"{where}: {first['msg']}" if where else first["msg"]


async def receive_frame(
    websocket: WebSocket, sender: asyncio.Task[None], on_stall: Callable[[], None]
) -> str | bytes | None:
    """Return the next frame of a connection, or None when it or its sender ended.

    A sender that ended on its send timeout is a stalled peer: on_stall says so.
    """
    receive = asyncio.ensure_future(websocket.receive())
    done, _ = await asyncio.wait({receive, sender}, return_when=asyncio.FIRST_COMPLETED)
    if receive not in done:
        receive.cancel()
        error = sender.exception() if not sender.cancelled() else None
        if isinstance(error, TimeoutError):
            on_stall()
        return None
    event = receive.result()
    if event["type"] == "websocket.disconnect":
        return None
    text = event.get("text")
    return text if text is not None else event.get("bytes") or b""


async def finish_connection(websocket: WebSocket, sender: asyncio.Task[None] | None) -> None:
    """Wait for a stopped connection's sender, then close the connection if still open.

    A stalled peer cannot take a close frame either: give up after CLOSE_TIMEOUT_S and let
    the server drop the connection.
    """
    if sender is not None:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
    if websocket.application_state != WebSocketState.DISCONNECTED:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await websocket.close()


class Client:
    """One WebSocket connection: its subscriptions, latest-value slots and sender task."""

    def __init__(self, websocket: WebSocket, hub: WsHub) -> None:
        self.websocket = websocket
        self.hub = hub
        self.rates: dict[Channel, float] = {}
        self.slots: dict[Channel, str | None] = {}
        self.next_due: dict[Channel, float] = {}
        self.replies: deque[str] = deque(maxlen=MAX_PENDING_REPLIES)
        self.wake = asyncio.Event()
        self.timer: asyncio.TimerHandle | None = None
        self.sender: asyncio.Task[None] | None = None
        self.closed = False

    def offer(self, channel: Channel, frame: str) -> None:
        """Replace the channel's slot with frame and wake the sender.

        Replacing a frame that was already due means the client is behind: that counts as a
        drop. Replacing one that waits for its turn under the client's rate does not.
        """
        loop = self.hub.loop
        if (
            self.slots.get(channel) is not None
            and loop is not None
            and loop.time() >= self.next_due.get(channel, 0.0) + DROP_GRACE_S
        ):
            self.hub.metrics.ws_frames_dropped[channel] += 1
        self.slots[channel] = frame
        self.wake.set()

    def reply(self, message: BaseModel) -> None:
        """Queue a reply for the sender."""
        self.queue(message.model_dump_json())

    def queue(self, frame: str) -> None:
        """Queue a serialised message for the sender, after the replies already waiting."""
        self.replies.append(frame)
        self.wake.set()

    async def _send(self, frame: str) -> None:
        async with asyncio.timeout(SEND_TIMEOUT_S):
            await self.websocket.send({"type": "websocket.send", "text": frame})

    async def run_sender(self) -> None:
        """Send replies and due frames until the connection ends."""
        loop = asyncio.get_running_loop()
        metrics = self.hub.metrics
        while not self.closed:
            await self.wake.wait()
            self.wake.clear()
            while self.replies:
                await self._send(self.replies.popleft())
            now = loop.time()
            earliest: float | None = None
            for channel, frame in self.slots.items():
                if frame is None:
                    continue
                due = self.next_due.get(channel, 0.0)
                if now >= due:
                    self.slots[channel] = None
                    period = 1.0 / self.rates.get(channel, DEFAULT_RATE_HZ)
                    # Keep the average rate exact: the next slot is one period after this one,
                    # or now when this one was late (no burst after a pause).
                    self.next_due[channel] = max(due + period, now) if due else now + period
                    await self._send(frame)
                    metrics.ws_frames_sent[channel] += 1
                else:
                    # A stream faster than the client's rate brings a fresher frame soon after
                    # `due`; the timer only sends this one if none comes (the stream stopped).
                    wake_at = due + STREAM_GRACE_S.get(channel, 0.0)
                    if earliest is None or wake_at < earliest:
                        earliest = wake_at
            if earliest is not None:
                if self.timer is not None:
                    self.timer.cancel()
                self.timer = loop.call_at(earliest, self._timer_fired)

    def _timer_fired(self) -> None:
        self.timer = None
        self.wake.set()

    def stop(self) -> None:
        """Stop the sender task."""
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.sender is not None:
            self.sender.cancel()


class WsHub:
    """All WebSocket clients, and the latest frame of every channel."""

    def __init__(self, metrics: Metrics, max_rate_hz: float) -> None:
        self.metrics = metrics
        self.max_rate_hz = max_rate_hz
        self.clients: set[Client] = set()
        # The last frame of every state channel, for a client that subscribes later; while no
        # client is connected, a joint_states frame is kept unserialised (see publish_threadsafe).
        self.latest: dict[Channel, str | Callable[[], str]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.accepting = False
        # time.monotonic() of the last joint_states sample (set from the ROS thread), and
        # whether the stream was announced stale to the clients.
        self.last_sample: float | None = None
        self.started_at = time.monotonic()
        self.stale = False
        self.watchdog: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Accept clients and receive frames from other threads."""
        self.loop = asyncio.get_running_loop()
        self.accepting = True
        self.started_at = time.monotonic()
        self.watchdog = asyncio.create_task(self._watch_stream())

    def stale_message(self) -> StaleMessage:
        """Return the joint_states stream's present staleness notice."""
        last = self.last_sample
        age = None if last is None else round(time.monotonic() - last, 3)
        return StaleMessage(
            channel="joint_states", stale=self.stale, age_s=age, stale_after_s=STALE_AFTER_S
        )

    def check_stream(self) -> None:
        """Tell joint_states subscribers when the stream goes stale or comes back."""
        last = self.last_sample
        silent_for = time.monotonic() - (last if last is not None else self.started_at)
        stale = silent_for >= STALE_AFTER_S
        if stale == self.stale:
            return
        self.stale = stale
        if stale:
            log.warning("ws_joint_states_stale", stale_after_s=STALE_AFTER_S)
        else:
            log.info("ws_joint_states_fresh")
        notice = self.stale_message()
        for client in self.clients:
            if "joint_states" in client.rates:
                client.reply(notice)

    async def _watch_stream(self) -> None:
        while True:
            await asyncio.sleep(STALE_CHECK_S)
            self.check_stream()

    @property
    def running(self) -> bool:
        """Return True while clients are accepted."""
        return self.accepting and self.loop is not None and not self.loop.is_closed()

    def publish(self, channel: Channel, frame: str) -> None:
        """Offer frame to every client subscribed to channel (asyncio thread only)."""
        if channel not in NEWS_CHANNELS:
            self.latest[channel] = frame
        if channel == "joint_states" and self.stale:
            # The notice goes before the sample: replies are sent ahead of frames.
            self.check_stream()
        for client in self.clients:
            if channel not in client.rates:
                continue
            if channel in QUEUED_CHANNELS:
                client.queue(frame)
                self.metrics.ws_frames_sent[channel] += 1
            else:
                client.offer(channel, frame)

    def publish_threadsafe(self, channel: Channel, frame: str | Callable[[], str]) -> None:
        """Offer frame from another thread; while no client is connected, only keep it.

        frame may be a callable returning the text: it is called only when a client is there
        to get it, so that a sample nobody reads is never serialised.
        """
        loop = self.loop
        if loop is None:
            return
        if channel == "joint_states":
            self.last_sample = time.monotonic()
        if not self.clients:
            if channel not in NEWS_CHANNELS:  # news is told once; a state is kept for newcomers
                self.latest[channel] = frame
            return
        text = frame if isinstance(frame, str) else frame()
        with contextlib.suppress(RuntimeError):  # the loop closed during shutdown
            loop.call_soon_threadsafe(self.publish, channel, text)

    async def close_all(self, code: int = CLOSE_GOING_AWAY) -> None:
        """Refuse new clients and close every connection with code."""
        self.accepting = False
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        clients = list(self.clients)
        for client in clients:
            client.stop()

        async def close(client: Client) -> None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await client.websocket.close(code=code, reason="server shutting down")

        await asyncio.gather(*(close(client) for client in clients))

    def hello(self) -> HelloMessage:
        """Return the hello message."""
        return HelloMessage(channels=list(CHANNELS), max_rate_hz=self.max_rate_hz)

    def subscription_rates(self, message: SubscribeMessage) -> dict[Channel, float]:
        """Return {channel: rate} asked for by a subscribe message, capped at the loop rate."""
        channels = message.channels
        wanted = (
            dict.fromkeys(channels, message.rate_hz) if isinstance(channels, list) else channels
        )
        return {name: min(float(rate), self.max_rate_hz) for name, rate in wanted.items()}

    async def serve(
        self,
        websocket: WebSocket,
        run_command: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    ) -> None:
        """Run one accepted connection until it ends."""
        client = Client(websocket, self)
        self.clients.add(client)
        client.sender = asyncio.create_task(client.run_sender())
        client.reply(self.hello())
        commands: set[asyncio.Task[None]] = set()
        try:
            while True:
                received = await self._receive(websocket, client)
                if received is None:
                    break
                try:
                    message = self._parse(received, client)
                    if message is None:
                        continue
                    kind = message.get("type")
                    if kind == "command":
                        task = asyncio.create_task(self._command(client, message, run_command))
                        commands.add(task)
                        task.add_done_callback(commands.discard)
                    else:
                        self._answer(client, kind, message)
                except Exception as exc:
                    # Whatever a message is, it must not end the connection: answer it.
                    log.error("ws_message_failed", error=type(exc).__name__, exc_info=exc)
                    client.reply(
                        ErrorMessage(error="invalid_message", message="the message was not taken")
                    )
                if client.sender.done():
                    break
        finally:
            self.clients.discard(client)
            client.stop()
            for task in commands:
                task.cancel()
            await finish_connection(websocket, client.sender)

    async def _receive(self, websocket: WebSocket, client: Client) -> str | bytes | None:
        """Return the next message, or None when the connection or the sender ended."""
        assert client.sender is not None
        return await receive_frame(
            websocket,
            client.sender,
            lambda: log.warning("ws_client_stalled", timeout_s=SEND_TIMEOUT_S),
        )

    def _parse(self, received: str | bytes, client: Client) -> dict[str, Any] | None:
        size = len(received.encode() if isinstance(received, str) else received)
        if size > MAX_MESSAGE_BYTES:
            client.reply(
                ErrorMessage(
                    error="message_too_large",
                    message=f"{size} bytes is over the {MAX_MESSAGE_BYTES} byte limit",
                )
            )
            return None
        try:
            message = orjson.loads(received)
        except orjson.JSONDecodeError as exc:
            client.reply(ErrorMessage(error="invalid_json", message=str(exc)))
            return None
        if not isinstance(message, dict):
            client.reply(ErrorMessage(error="invalid_message", message="expected an object"))
            return None
        if too_deep(message):
            client.reply(
                ErrorMessage(
                    error="invalid_message",
                    message=f"lists and objects nest deeper than {MAX_DEPTH} levels",
                )
            )
            return None
        return message

    def _answer(self, client: Client, kind: object, message: dict[str, Any]) -> None:
        """Validate a ping, subscribe or unsubscribe message against its model and act on it."""
        request = REQUESTS.get(kind) if isinstance(kind, str) else None
        if request is None:
            client.reply(ErrorMessage(error="unknown_type", message=f"type {quote(kind)}"))
            return
        model, code = request
        try:
            parsed = model.model_validate(message)
        except ValidationError as exc:
            client.reply(ErrorMessage(error=code, message=describe(exc)))
            return
        if isinstance(parsed, PingMessage):
            client.reply(PongMessage(id=parsed.id))
        elif isinstance(parsed, SubscribeMessage):
            self._subscribe(client, parsed)
            if self.stale and "joint_states" in client.rates:
                client.reply(self.stale_message())
        elif isinstance(parsed, UnsubscribeMessage):
            self._unsubscribe(client, parsed)

    def _subscribe(self, client: Client, message: SubscribeMessage) -> None:
        for name, rate in self.subscription_rates(message).items():
            new = name not in client.rates
            client.rates[name] = rate
            client.next_due.pop(name, None)
            latest = self.latest.get(name)
            if new and latest is not None:
                client.slots[name] = latest if isinstance(latest, str) else latest()
        client.reply(SubscribedMessage(channels=dict(client.rates)))

    def _unsubscribe(self, client: Client, message: UnsubscribeMessage) -> None:
        for name in message.channels:
            client.rates.pop(name, None)
            client.slots.pop(name, None)
            client.next_due.pop(name, None)
        client.reply(SubscribedMessage(channels=dict(client.rates)))

    async def _command(
        self,
        client: Client,
        message: dict[str, Any],
        run_command: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    ) -> None:
        """Run a command and reply with its result.

        The command's fields (token, command, args) are checked by run_command, which answers
        unauthorized, unknown_command or validation_error as POST /api/commands/... would.
        """
        result = await run_command(message)
        try:
            echoed = MESSAGE_ID.validate_python(message.get("id"), strict=True)
        except ValidationError:
            echoed = None  # an id that is neither a string nor a number is not echoed
        try:
            reply = CommandResultMessage.model_validate({"id": echoed, **result})
        except ValidationError as exc:
            # A result code missing from the protocol's list: still tell the client, as sent.
            log.error("ws_command_result_invalid", error=describe(exc), code=result.get("error"))
            reply = CommandResultMessage.model_construct(id=echoed, **result)
        client.reply(reply)
