"""Which hosts webhook deliveries may go to. Plain Python.

By default only this machine (loopback: 127.0.0.0/8, ::1, `localhost`), so that a
simulator anyone can reach is not a tool to make requests to other machines.
SIM_WEBHOOK_ALLOWED_HOSTS adds host names and networks (comma separated), or `*`
for any host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class HostPolicy:
    any_host: bool = False
    names: frozenset[str] = frozenset()
    networks: tuple = ()

    def _address_allowed(self, address) -> bool:
        if getattr(address, "ipv4_mapped", None) is not None:
            address = address.ipv4_mapped
        return self.any_host or address.is_loopback or any(address in network for network in self.networks)

    def allows_host(self, host: str) -> bool:
        """May a subscription name this host (before any name resolution)?"""
        host = host.lower().rstrip(".")
        address = _address(host)
        if address is not None:
            return self._address_allowed(address)
        return self.any_host or host in self.names or host == "localhost" or host.endswith(".localhost")

    def allows_resolved(self, host: str, address_text: str) -> bool:
        """May a delivery connect to this address, which `host` resolved to?"""
        host = host.lower().rstrip(".")
        if host in self.names:
            return True  # listed by name: the operator trusts wherever it points
        address = _address(address_text.split("%")[0])
        return address is not None and self._address_allowed(address)

    def describe(self) -> str:
        if self.any_host:
            return "any host"
        extra = sorted(self.names) + [str(network) for network in self.networks]
        return "loopback only" + (f", plus {', '.join(extra)}" if extra else "")


def parse_allowed_hosts(text: str) -> HostPolicy:
    """`""` (loopback only), `"*"`, or a comma-separated list of host names and networks."""
    names, networks, any_host = set(), [], False
    for part in (piece.strip().lower() for piece in text.split(",")):
        if not part:
            continue
        if part == "*":
            any_host = True
            continue
        try:
            networks.append(ipaddress.ip_network(part.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        if not _NAME.match(part):
            raise ValueError(f"{part!r} is neither a host name, an IP address / network (CIDR) nor *")
        names.add(part.rstrip("."))
    return HostPolicy(any_host, frozenset(names), tuple(networks))
