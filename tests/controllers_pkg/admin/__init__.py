from erlen import Blueprint

from .reports import bp as reports

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.register_blueprint(reports)


@bp.route("/")
def index() -> str:
    return "admin"
