import ctypes
import sys

import pytest


@pytest.fixture
def anyio_backend() -> str:
    # sqlspec's async adapters (aiosqlite, psycopg) run on asyncio only.
    return "asyncio"


def _clear_thread_exception_state() -> None:
    # PyErr_SetExcInfo steals one reference to each of its three arguments.
    for _ in range(3):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    set_exc_info = ctypes.pythonapi.PyErr_SetExcInfo
    set_exc_info.argtypes = (ctypes.py_object, ctypes.py_object, ctypes.py_object)
    set_exc_info(None, None, None)


@pytest.fixture(autouse=True)
def no_leaked_exception_state(request: pytest.FixtureRequest) -> None:
    """Fail the test after which this thread claims to be handling an exception that nothing is handling.

    sqlspec's compiled (mypyc) coroutines can leave a handled error in the thread's exception state when they are
    suspended inside an ``except`` block; sqlspec's drivers then treat every later call on that thread as running
    "during" that error. Fail the test that caused it, and clear the state so that the tests after it are not run
    against the leak.
    """

    def check() -> None:
        leaked = sys.exc_info()[1]
        if leaked is not None:
            _clear_thread_exception_state()
            pytest.fail(f"the test left a handled exception in this thread's exception state: {leaked!r}")

    # A plain finalizer: after a generator fixture's ``yield`` the generator's own exception state is the current one,
    # and clearing would clear that instead of the thread's.
    request.addfinalizer(check)  # noqa: PT021
