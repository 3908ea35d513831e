"""Controllers found by ``app.autodiscover("controllers_pkg")`` in the tests."""
