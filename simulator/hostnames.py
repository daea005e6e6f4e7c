"""Host names and origins as settings and headers name them. Plain Python.

Shared by the settings (SIM_ALLOWED_HOSTS, SIM_CORS_ORIGINS) and the HTTP guards.
"""

from __future__ import annotations

import ipaddress
import re

_HOST = re.compile(r"[a-z0-9.\-]+|[0-9a-f:]+")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


def host_name(host_header: str) -> str:
    """The name of a Host header without its port: `[::1]:8000` → `::1`, `Shop.local.` → `shop.local`."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1:].partition("]")[0]
    if text.count(":") == 1:
        text = text.partition(":")[0]
    return text.rstrip(".")


def is_loopback_name(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_host_names(raw: str) -> tuple[str, ...]:
    """SIM_ALLOWED_HOSTS: host names or addresses (no scheme, no port), comma separated."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    for part in parts:
        if "/" in part or not _HOST.fullmatch(host_name(part)):
            raise ValueError(f"{part!r} is not a host name such as sim.internal or 10.0.0.5 (no scheme, no path)")
    return tuple(host_name(part) for part in parts)


def parse_origins(raw: str) -> tuple[str, ...]:
    """The allowed origins of a SIM_CORS_ORIGINS value; () turns CORS off. Raises ValueError."""
    origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    if "*" in origins:
        if len(origins) > 1:
            raise ValueError("`*` allows any origin; give it alone")
        return origins
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ValueError(f"{origin!r} is not an origin such as http://localhost:3000 (scheme://host[:port], no path)")
    return origins
