"""The child side of the bench line protocol (see ../child-process.ts) for Twisted peers."""
import json

from twisted.internet import defer, reactor, stdio
from twisted.protocols.basic import LineReceiver


class ParentLink(LineReceiver):
    """Prints the ready line, answers commands, and stops the reactor when stdin closes."""

    delimiter = b"\n"

    def __init__(self, ready, commands):
        self.ready = ready
        self.commands = commands

    def connectionMade(self):
        self.send(dict(self.ready, type="ready"))

    def lineReceived(self, line):
        message = json.loads(line)
        request_id = message.pop("id", None)
        handler = self.commands.get(message.pop("cmd", None))
        if handler is None:
            self.send({"type": "error", "id": request_id, "message": "unknown command"})
            return
        d = defer.maybeDeferred(handler, **message)
        d.addCallbacks(
            lambda result: self.send(dict(result, type="reply", id=request_id)),
            lambda failure: self.send(
                {"type": "error", "id": request_id, "message": failure.getErrorMessage()}
            ),
        )

    def connectionLost(self, reason):
        # The parent closed stdin or died: a peer must never outlive its bench run.
        if reactor.running:
            reactor.stop()

    def send(self, message):
        self.transport.write(json.dumps(message).encode() + b"\n")


def link_to_parent(ready, commands=None):
    stdio.StandardIO(ParentLink(ready, commands or {}))
