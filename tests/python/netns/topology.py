"""Three "hosts" on this machine: network namespaces joined by a bridge.

    host "s" (scheduler + trainer)   10.253.7.1/24 on bridge br0
    host "a" (worker)                10.253.7.2/24 on eth0 --veth-- br0
    host "b" (worker)                10.253.7.3/24 on eth0 --veth-- br0

Everything is created inside the namespaces this module creates (the veth
pairs are made in host "s" with their far ends placed straight into "a"
and "b"): the root namespace gets no interface, address or route, and the
namespaces have no route anywhere else, so all traffic stays between the
addresses assigned here. ``down()`` stops the processes started in the
namespaces (by PID) and deletes the namespaces, which removes the bridge
and the veths with them. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and
iproute2's ``ip``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

SUBNET = "10.253.7"
ADDRESSES = {"s": f"{SUBNET}.1", "a": f"{SUBNET}.2", "b": f"{SUBNET}.3"}


def _ip(*args, check=True):
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip() or r.stdout.strip()}")
    return r


def unavailable_reason() -> str | None:
    """Why namespaces cannot be made here, or None if they can."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed (Debian package iproute2)"
    if os.geteuid() != 0:
        return "creating network namespaces needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)"
    probe = f"aosprobe{os.getpid()}"
    r = _ip("netns", "add", probe, check=False)
    if r.returncode != 0:
        return f"`ip netns add` is not permitted here: {r.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


class Topology:
    def __init__(self, tag: str | None = None):
        tag = tag or str(os.getpid())
        self.ns = {h: f"aos{tag}{h}" for h in ADDRESSES}
        self.procs: list[subprocess.Popen] = []
        self.created: list[str] = []

    def address(self, host: str) -> str:
        return ADDRESSES[host]

    def up(self) -> None:
        for name in self.ns.values():
            _ip("netns", "add", name)
            self.created.append(name)
            _ip("-n", name, "link", "set", "lo", "up")
        s = self.ns["s"]
        _ip("-n", s, "link", "add", "br0", "type", "bridge")
        _ip("-n", s, "addr", "add", f"{ADDRESSES['s']}/24", "dev", "br0")
        _ip("-n", s, "link", "set", "br0", "up")
        for host in ("a", "b"):
            _ip("-n", s, "link", "add", f"v{host}", "type", "veth", "peer", "name", "eth0", "netns", self.ns[host])
            _ip("-n", s, "link", "set", f"v{host}", "master", "br0")
            _ip("-n", s, "link", "set", f"v{host}", "up")
            _ip("-n", self.ns[host], "addr", "add", f"{ADDRESSES[host]}/24", "dev", "eth0")
            _ip("-n", self.ns[host], "link", "set", "eth0", "up")

    def routes(self, host: str) -> list[str]:
        return [line for line in _ip("-n", self.ns[host], "route", "show").stdout.splitlines() if line.strip()]

    def spawn(self, host: str, argv: list[str], env: dict, log_path: str) -> subprocess.Popen:
        log = open(log_path, "w")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[host], *argv], env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs.append(p)
        return p

    def run(self, host: str, argv: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.ns[host], *argv], env=env, capture_output=True,
                              text=True, timeout=timeout)

    def kill_host(self, host: str) -> None:
        """Takes a host down: SIGKILLs every process in its namespace."""
        for pid in _ip("netns", "pids", self.ns[host], check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass

    def down(self) -> None:
        # Last started first: workers leave before their scheduler goes.
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        # Anything still inside our namespaces was started by us (a child of
        # a process above): stop it by PID before the namespace goes.
        for name in self.created:
            r = _ip("netns", "pids", name, check=False)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        errors = []
        for name in reversed(self.created):
            r = _ip("netns", "del", name, check=False)
            if r.returncode != 0:
                errors.append(f"{name}: {r.stderr.strip()}")
        self.created.clear()
        if errors:
            raise RuntimeError("could not delete network namespaces: " + "; ".join(errors))
