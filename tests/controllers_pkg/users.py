from erlen import Blueprint
from erlen import url_for

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.route("/")
def index() -> str:
    return url_for(".show", user_id=7)


@bp.route("/<int:user_id>")
def show(user_id: int) -> str:
    return f"user {user_id}"
