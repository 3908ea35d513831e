from erlen import Blueprint
from erlen import request

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/")
def index() -> str:
    return f"reports via {request.blueprint}"
