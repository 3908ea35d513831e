"""Flask's signals, on blinker; importing this module switches them on.

Until it is imported, the app's ``_signal`` is a single ``is None`` check, so
apps that use no signals pay nothing per request.
"""

from __future__ import annotations

from blinker import Namespace

from . import app as _app

_signals = Namespace()

template_rendered = _signals.signal("template-rendered")
before_render_template = _signals.signal("before-render-template")
request_started = _signals.signal("request-started")
request_finished = _signals.signal("request-finished")
request_tearing_down = _signals.signal("request-tearing-down")
got_request_exception = _signals.signal("got-request-exception")
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
appcontext_pushed = _signals.signal("appcontext-pushed")
appcontext_popped = _signals.signal("appcontext-popped")
message_flashed = _signals.signal("message-flashed")

_app._SIGNALS = __import__(__name__, fromlist=["_"])
