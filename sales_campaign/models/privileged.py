"""Writes that only the module's own processes may make, through the models' public methods.

A ledger's ``create``/``write`` (and a few protected fields) refuse what a client sends; the processes that
must write them (logging, delivery, the steps of a segment, cancelling) do it inside ``privileged(model)``.
The mark lives in a context variable of the running thread, not in the ORM context: a client can send any
context key with its call, never this. The writes still go through every override of ``create``/``write``
(tracking, other modules), which calling ``super()`` from a private method would skip.
"""

import contextvars
from contextlib import contextmanager

_PRIVILEGED = contextvars.ContextVar("sales_campaign_privileged", default=frozenset())


@contextmanager
def privileged(*model_names):
    """Let the code inside write what the public methods of ``model_names`` refuse to clients."""
    token = _PRIVILEGED.set(_PRIVILEGED.get() | frozenset(model_names))
    try:
        yield
    finally:
        _PRIVILEGED.reset(token)


def is_privileged(model_name):
    return model_name in _PRIVILEGED.get()
