"""The peer's client: repeated PBClientFactory.login(UsernamePassword) against pb_server.py, timed here."""
import argparse
import sys
import time

from twisted.cred.credentials import UsernamePassword
from twisted.internet import defer, reactor
from twisted.spread import pb

from line_protocol import link_to_parent


class LoginDriver:
    """Answers the bench's `latency` and `throughput` commands with PB logins over `factories`."""

    def __init__(self, factories, credentials):
        self.factories = factories
        self.credentials = credentials

    def login(self, index=0):
        return self.factories[index % len(self.factories)].login(self.credentials)

    @defer.inlineCallbacks
    def latency(self, warmupOps, warmupSeconds, samples, maxSeconds):
        warmup_end = time.perf_counter() + warmupSeconds
        for _ in range(warmupOps):
            if time.perf_counter() >= warmup_end:
                break
            yield self.login()
        samples_ms = []
        deadline = time.perf_counter() + maxSeconds
        while len(samples_ms) < samples:
            started = time.perf_counter()
            yield self.login()
            ended = time.perf_counter()
            samples_ms.append((ended - started) * 1000)
            if ended > deadline:
                break
        return {"samplesMs": samples_ms}

    @defer.inlineCallbacks
    def throughput(self, inFlight, warmupSeconds, maxOps, maxSeconds):
        if warmupSeconds > 0:
            yield self.drive(inFlight, float("inf"), warmupSeconds)
        completed, seconds = yield self.drive(inFlight, maxOps, maxSeconds)
        return {"opsPerSec": completed / seconds}

    def drive(self, in_flight, max_ops, max_seconds):
        """Keeps `in_flight` logins outstanding, spread over the connections, until the count or clock runs out."""
        start = time.perf_counter()
        deadline = start + max_seconds
        state = {"started": 0, "completed": 0, "active": in_flight, "failure": None}
        done = defer.Deferred()

        def next_login(worker):
            if state["failure"] is None and state["started"] < max_ops and time.perf_counter() < deadline:
                state["started"] += 1
                self.login(worker).addCallbacks(
                    succeeded, failed, callbackArgs=(worker,), errbackArgs=(worker,)
                )
                return
            state["active"] -= 1
            if state["active"] == 0:
                if state["failure"] is not None:
                    done.errback(state["failure"])
                else:
                    done.callback((state["completed"], time.perf_counter() - start))

        def succeeded(_avatar, worker):
            state["completed"] += 1
            next_login(worker)

        def failed(failure, worker):
            if state["failure"] is None:
                state["failure"] = failure
            next_login(worker)

        for worker in range(in_flight):
            next_login(worker)
        return done


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default="alice")
    parser.add_argument("--password", default="secret")
    # Several connections so 128 logins in flight are not all queued behind one socket.
    parser.add_argument("--connections", type=int, default=8)
    options = parser.parse_args()

    factories = []
    for _ in range(options.connections):
        factory = pb.PBClientFactory()
        reactor.connectTCP("127.0.0.1", options.port, factory)
        factories.append(factory)
    driver = LoginDriver(factories, UsernamePassword(options.user.encode(), options.password.encode()))

    def connected(_roots):
        link_to_parent(
            {"connections": len(factories), "python": sys.version.split()[0]},
            {"latency": driver.latency, "throughput": driver.throughput},
        )

    def not_connected(failure):
        sys.stderr.write("could not connect: %s\n" % failure.getErrorMessage())
        reactor.stop()

    defer.gatherResults([f.getRootObject() for f in factories]).addCallbacks(connected, not_connected)
    reactor.run()


if __name__ == "__main__":
    main()
