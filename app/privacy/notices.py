"""The consent purposes and the notice texts people agree to (SPEC §7), versioned.

Changing a notice's meaning means a new version: old consents keep pointing at the text that
was shown to the person.
"""

from __future__ import annotations

from dataclasses import dataclass

NOTICE_VERSION = "2026-01"  # Law 91/2025/QH15, Decree 356/2025, in force 01/01/2026


@dataclass(frozen=True)
class Purpose:
    code: str
    label: str  # the checkbox label
    notice: str  # the text shown next to it
    version: str = NOTICE_VERSION


PURPOSES: dict[str, Purpose] = {
    p.code: p
    for p in [
        Purpose(
            "process_entry",
            "Tôi đồng ý để Ban tổ chức xử lý dữ liệu cá nhân trong hồ sơ dự thi (bắt buộc để dự thi).",
            "Sở Khoa học và Công nghệ tỉnh Quảng Ngãi và các đơn vị đồng tổ chức xử lý họ tên, ngày sinh, "
            "giới tính, số điện thoại, email, đơn vị, địa chỉ và nội dung ý tưởng của các thành viên nhóm "
            "để tiếp nhận, thẩm định, chấm điểm, liên hệ và trao giải. Dữ liệu được lưu trong 5 năm kể "
            "từ khi cuộc thi kết thúc rồi xoá hoặc ẩn danh. Bạn có quyền xem, sửa, tải bản sao, rút lại "
            "đồng ý và yêu cầu xoá tại trang “Dữ liệu của tôi”.",
        ),
        Purpose(
            "process_registration",
            "Tôi đồng ý để Ban tổ chức xử lý thông tin đăng ký tham dự (bắt buộc để nhận vé).",
            "Họ tên, số điện thoại, email, đơn vị và loại khách được dùng để cấp vé, kiểm soát ra vào "
            "và thống kê số người tham dự sự kiện. Dữ liệu được lưu 2 năm rồi xoá hoặc ẩn danh.",
        ),
        Purpose(
            "publish_awards",
            "Đồng ý công bố họ tên và tên dự án nếu đạt giải.",
            "Nếu đạt giải, họ tên, đơn vị và tên ý tưởng/dự án có thể được công bố trên trang của Sở, "
            "báo chí và tài liệu truyền thông của chương trình.",
        ),
        Purpose(
            "share_partners",
            "Đồng ý chia sẻ hồ sơ với đơn vị đồng tổ chức và nhà đầu tư.",
            "Tóm tắt ý tưởng và thông tin liên hệ của trưởng nhóm có thể được chia sẻ với Tỉnh đoàn, "
            "Hội Liên hiệp Phụ nữ tỉnh, các quỹ và nhà đầu tư đồng hành để hỗ trợ, kết nối.",
        ),
        Purpose(
            "sensitive_stats",
            "Đồng ý dùng thông tin dân tộc để thống kê tổng hợp.",
            "Thông tin dân tộc là dữ liệu cá nhân nhạy cảm. Nếu bạn đồng ý và cung cấp, thông tin này chỉ "
            "được dùng ở dạng số liệu tổng hợp trong báo cáo, không công bố theo từng người.",
        ),
        Purpose(
            "newsletter",
            "Nhận bản tin về các chương trình khởi nghiệp của tỉnh.",
            "Chúng tôi gửi email thông báo các cuộc thi, lớp tập huấn và sự kiện khởi nghiệp. Bạn có "
            "thể huỷ đăng ký bất kỳ lúc nào.",
        ),
    ]
}

# Which purposes are offered where, and which of them are required there.
CONTEXTS: dict[str, dict[str, bool]] = {
    "entry": {
        "process_entry": True,
        "publish_awards": False,
        "share_partners": False,
        "sensitive_stats": False,
        "newsletter": False,
    },
    "event_registration": {"process_registration": True, "newsletter": False},
}
