"""The public home, help pages, language switch and /healthz."""

from flask import abort, current_app, jsonify, redirect, render_template, request, session
from sqlalchemy import text

from app.core import bp
from app.extensions import db
from app.urls import safe_next

# slug → title; each has templates/core/help/<slug>.html
HELP_TOPICS = {
    "tai-khoan": "Tài khoản và mật khẩu",
    "quan-tri": "Dành cho quản trị hệ thống",
    "du-thi": "Đăng ký dự thi và nộp hồ sơ",
    "ban-to-chuc-cuoc-thi": "Ban tổ chức: cấu hình cuộc thi và thẩm định hồ sơ",
    "du-lieu-ca-nhan": "Dữ liệu cá nhân của bạn",
    "cham-diem": "Giám khảo: chấm điểm trên điện thoại",
    "to-chuc-cham-thi": "Ban tổ chức: vòng chấm, giám khảo, kết quả",
    "quet-ve": "Tình nguyện viên: quét vé và check-in",
    "to-chuc-su-kien": "Ban tổ chức: sự kiện, vé và check-in",
    "bao-cao": "Ban tổ chức: xuất Excel, báo cáo năm, biểu đồ và nhập danh sách",
    "chung-ket-truc-tiep": "Chung kết trực tiếp: điều khiển sân khấu, giám khảo, màn hình, bình chọn",
    "cong-bo-va-chung-nhan": "Ban tổ chức: công bố kết quả, chương trình, giấy chứng nhận",
    "gian-hang": "Gian hàng tại ngày hội: đăng ký, xét duyệt, sơ đồ và thẻ gian hàng",
    "lich-hoat-dong": "Lịch hoạt động của ngày hội: đăng ký phiên, lịch cá nhân, check-in tại phòng",
}


@bp.get("/")
def home():
    return render_template("core/home.html")


@bp.get("/tro-giup")
def help_index():
    return render_template("core/help_index.html", topics=HELP_TOPICS)


@bp.get("/tro-giup/<slug>")
def help_page(slug: str):
    if slug not in HELP_TOPICS:
        abort(404)
    return render_template(f"core/help/{slug}.html", title=HELP_TOPICS[slug], topics=HELP_TOPICS)


@bp.post("/ngon-ngu")
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # report, don't crash: load balancers poll this
        current_app.logger.error("healthz: database unreachable: %s", exc)
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok", "backend": db.engine.dialect.name})
