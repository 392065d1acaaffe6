"""conftest.py — pytest fixtures shared by the Python system tests.

A system test module (tests/system/test_*.py without a `__main__` block; ctest
runs it as `python3 -m pytest -q FILE`) starts its nodes once, in a fixture of
scope "module", and states one claim per `test_*` function. Functions run in
file order, so a later one may build on state an earlier one left (keep it in
the module's `state` namespace); independent claims are separate functions, so
the first failure no longer hides the rest.

    nodes       the module's registry: nodes.node(name, **Node kwargs) and
                nodes.federation(name, **kwargs) make sltest Nodes that are
                closed (daemons stopped, database dropped) at the module's end
    node        one node (not started) named after the module
    federation  the four linked nodes of sltest.federation, not started
    state       a namespace for values later tests of the module use

A module that needs its node started a certain way defines its own fixture
named `node` (or any name) on top of `nodes`. After a failed test, the tail of
every open node's daemon logs is printed with the failure. SIGTERM (a run being
stopped) interrupts it like ^C, so the fixtures' teardown still stops the
daemons; anything left open at exit is closed then.
"""
import atexit
import contextlib
import io
import os
import signal
import sys
import types

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402

_open = []  # every Node of the current module not yet closed


@atexit.register
def _close_left_open():
    for n in list(_open):
        n.close()


signal.signal(signal.SIGTERM, signal.default_int_handler)  # a KeyboardInterrupt


class Nodes:
    """The nodes a module made; close() stops their daemons and drops them."""

    def __init__(self):
        self.made = []

    def node(self, name, **kw):
        n = sltest.Node(name, **kw)
        self.made.append(n)
        _open.append(n)
        return n

    def federation(self, name, **kw):
        fed = sltest.federation(name, **kw)
        self.made.extend(fed.values())
        _open.extend(fed.values())
        return fed

    def close(self):
        for n in self.made:
            n.close()
            if n in _open:
                _open.remove(n)
        self.made = []


@pytest.fixture(scope="module")
def nodes():
    reg = Nodes()
    try:
        yield reg
    finally:
        reg.close()


@pytest.fixture(scope="module")
def node(nodes, request):
    return nodes.node(request.module.__name__.replace("test_", ""))


@pytest.fixture(scope="module")
def federation(nodes, request):
    return nodes.federation(request.module.__name__.replace("test_", ""))


@pytest.fixture(scope="module")
def state():
    return types.SimpleNamespace()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _open:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            sltest.dump_logs(list(_open))
        rep.sections.append(("sl daemon logs", buf.getvalue()))
