"""The peer's server: a Twisted Perspective Broker Portal with an in-memory checker and a trivial realm."""
import argparse

import twisted
from twisted.cred import checkers, portal
from twisted.internet import reactor
from twisted.spread import pb
from zope.interface import implementer

from line_protocol import link_to_parent


class BenchAvatar(pb.Avatar):
    def __init__(self, avatar_id):
        self.avatar_id = avatar_id

    def perspective_whoami(self):
        return self.avatar_id


@implementer(portal.IRealm)
class BenchRealm:
    """Builds a fresh avatar per login, as most realms do; nothing to clean up on logout."""

    def requestAvatar(self, avatar_id, mind, *interfaces):
        if pb.IPerspective not in interfaces:
            raise NotImplementedError("only pb.IPerspective")
        return pb.IPerspective, BenchAvatar(avatar_id), lambda: None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user", default="alice")
    parser.add_argument("--password", default="secret")
    options = parser.parse_args()

    checker = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    checker.addUser(options.user.encode(), options.password.encode())
    factory = pb.PBServerFactory(portal.Portal(BenchRealm(), [checker]))
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    link_to_parent(
        {
            "port": port.getHost().port,
            "twisted": twisted.__version__,
            "reactor": type(reactor).__name__,
        }
    )
    reactor.run()


if __name__ == "__main__":
    main()
