"""A small Flask app, written for Flask only; the tests run it on erlen."""

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import flash
from flask import get_flashed_messages
from flask import jsonify
from flask import redirect
from flask import render_template_string
from flask import request
from flask import session
from flask import url_for
from flask.views import MethodView
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash
from werkzeug.utils import secure_filename

USERS = {"ada": generate_password_hash("lovelace", method="pbkdf2:sha256:1000")}
POSTS = {1: "Hello"}

bp = Blueprint("blog", __name__, url_prefix="/posts")


@bp.route("/<int:post_id>")
def show(post_id):
    if post_id not in POSTS:
        raise NotFound()
    return render_template_string(
        "<h1>{{ title }}</h1>{% for m in get_flashed_messages() %}<p>{{ m }}"
        "{% endfor %}",
        title=POSTS[post_id],
    )


class PostAPI(MethodView):
    def get(self):
        return jsonify(sorted(POSTS.values()))

    def post(self):
        data = request.get_json()
        POSTS[max(POSTS) + 1] = data["title"]
        return {"id": max(POSTS)}, 201


bp.add_url_rule("/api", view_func=PostAPI.as_view("api"))


def create_app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="dev", TESTING=True)
    app.register_blueprint(bp)

    @app.post("/login")
    def login():
        name = request.form["name"]
        password = request.form["password"]
        if name not in USERS or not check_password_hash(USERS[name], password):
            abort(403)
        session["user"] = name
        flash(f"welcome {name}")
        return redirect(url_for("blog.show", post_id=1))

    @app.get("/me")
    def me():
        return {"user": session.get("user"), "flashes": get_flashed_messages()}

    @app.get("/upload-name/<path:name>")
    def upload_name(name):
        return secure_filename(name)

    @app.errorhandler(HTTPException)
    def http_error(e):
        return {"error": e.name, "code": e.code}, e.code

    return app
