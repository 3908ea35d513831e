"""Fixtures Flask-RESTX's tests expect (its sdist ships the tests but not this
file); written for erlen's compat suite, the tests themselves run unchanged.

``app`` is a bare Flask app whose test client has JSON helpers; ``api`` is an
Api on a blueprint configured by the ``api`` marker; ``mock_app`` is a mocked
Flask; the ``request_context`` marker pushes a test request context.
pytest-flask supplies ``client`` and the ``options`` marker.
"""

import json

import flask_restx
import pytest
from flask import Blueprint
from flask import Flask
from flask.testing import FlaskClient


def _no_duplicate_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key in JSON: {key!r}")
        seen[key] = value
    return seen


class JSONTestClient(FlaskClient):
    def get_json(self, url, status=200, **kwargs):
        response = self.get(url, **kwargs)
        assert response.status_code == status
        assert response.content_type == "application/json"
        return json.loads(response.data, object_pairs_hook=_no_duplicate_keys)

    def post_json(self, url, data, status=200, **kwargs):
        response = self.post(
            url, data=json.dumps(data), headers={"content-type": "application/json"}
        )
        assert response.status_code == status
        assert response.content_type == "application/json"
        return json.loads(response.data)

    def get_specs(self, prefix="", status=200, **kwargs):
        return self.get_json(f"{prefix}/swagger.json", status=status, **kwargs)


@pytest.fixture
def app():
    application = Flask(__name__)
    application.test_client_class = JSONTestClient
    return application


@pytest.fixture
def api(request, app):
    marker = request.node.get_closest_marker("api")
    options = dict(marker.kwargs) if marker else {}
    blueprint_options = {
        key: options.pop(key)
        for key in ("prefix", "subdomain")
        if key in options
    }
    if "prefix" in blueprint_options:
        blueprint_options["url_prefix"] = blueprint_options.pop("prefix")
    blueprint = Blueprint("api", __name__, **blueprint_options)
    result = flask_restx.Api(blueprint, **options)
    app.register_blueprint(blueprint)
    return result


@pytest.fixture
def mock_app(mocker):
    application = mocker.Mock(Flask)
    mocker.patch.object(flask_restx.Api, "_configure_namespace_logger")
    application.view_functions = {}
    application.extensions = {}
    application.config = {}
    return application


@pytest.fixture(autouse=True)
def _request_context_marker(request):
    marker = request.node.get_closest_marker("request_context")
    if marker is None:
        yield
        return
    application = request.getfixturevalue("app")
    with application.test_request_context(*marker.args, **marker.kwargs):
        yield
