"""The messages citizens receive, in Vietnamese, by template key; ``{name}`` placeholders are filled from
the context given to ``notify``. A later issue may move them to editable templates; keep the keys."""

from __future__ import annotations

SIGNATURE = "Bưu điện Việt Nam (BCCI)"

TEXTS: dict[str, dict[str, str]] = {
    "pickup_otp": {
        "body": "{code} là mã xác nhận đặt lịch thu gom hồ sơ tại nhà. Mã có hiệu lực {minutes} phút. "
                "Không cung cấp mã này cho người khác. " + SIGNATURE,
    },
    "pickup_registered": {
        "subject": "Đã đăng ký thu gom hồ sơ {code}",
        "body": "Bưu điện đã nhận yêu cầu thu gom hồ sơ mã {code} (thủ tục {procedure}) tại {address}, "
                "ngày {date}, {window}. Bưu tá sẽ gọi cho quý khách trước khi đến. " + SIGNATURE,
    },
    "pickup_assigned": {
        "subject": "Bưu tá thu gom hồ sơ {code}",
        "body": "Bưu tá {postman} sẽ đến thu gom hồ sơ mã {code} ngày {date}, {window}. " + SIGNATURE,
    },
    "pickup_cancelled": {
        "subject": "Đã hủy yêu cầu thu gom hồ sơ {code}",
        "body": "Yêu cầu thu gom hồ sơ mã {code} đã được hủy. Lý do: {reason}. " + SIGNATURE,
    },
    "pickup_failed": {
        "subject": "Chưa thu gom được hồ sơ {code}",
        "body": "Bưu tá chưa thu gom được hồ sơ mã {code}. Lý do: {reason}. Quý khách có thể đặt lịch lại "
                "hoặc gọi bưu cục {post_office}. " + SIGNATURE,
    },
    "pickup_collected": {
        "subject": "Bưu điện đã nhận hồ sơ {tracking_code}",
        "body": "Bưu điện đã nhận hồ sơ thủ tục {procedure} tại nhà quý khách. Mã tra cứu: {tracking_code}. "
                "Đã thu: {amount} đồng. " + SIGNATURE,
    },
}


class UnknownTemplate(KeyError):
    pass


def render(template_key: str, context: dict) -> tuple[str, str]:
    """(subject, body) of a template filled with ``context``. A missing placeholder raises KeyError naming it:
    a programming error, caught by tests, never at a citizen's expense after the state change."""
    try:
        template = TEXTS[template_key]
    except KeyError:
        raise UnknownTemplate(f"Không có mẫu thông báo “{template_key}”. / No notification template "
                              f"“{template_key}”.") from None
    values = {k: ("" if v is None else v) for k, v in context.items()}
    return template.get("subject", "").format_map(values), template["body"].format_map(values)


# Chain of custody (custody.services): what the citizen is told when something goes wrong with a package.
TEXTS.update({
    "incident_opened": {
        "subject": "Sự cố với bưu gửi hồ sơ {tracking_code}",
        "body": "Bưu điện ghi nhận sự cố ({reason}) với bưu gửi {item_id} của hồ sơ {tracking_code}, mã sự cố "
                "{incident_code}. Bưu điện đang xác minh và sẽ báo kết quả cho quý khách. " + SIGNATURE,
    },
    "incident_resolved": {
        "subject": "Đã xử lý sự cố {incident_code}",
        "body": "Sự cố {incident_code} với bưu gửi {item_id} (hồ sơ {tracking_code}) đã được xử lý. " + SIGNATURE,
    },
    "incident_compensated": {
        "subject": "Bồi thường sự cố {incident_code}",
        "body": "Sự cố {incident_code} với bưu gửi {item_id} (hồ sơ {tracking_code}) được bồi thường {amount} "
                "đồng. Bưu điện xin lỗi quý khách. " + SIGNATURE,
    },
    "items_overdue": {
        "subject": "{count} bưu gửi quá hạn tại {post_office}",
        "body": "Bưu cục {post_office} có {count} bưu gửi quá thời hạn chặng: {items}. " + SIGNATURE,
    },
})


# The one-stop desk (onestop.services): what the citizen is told at each decision.
TEXTS.update({
    "dossier_accepted": {
        "subject": "Hồ sơ {code} đã được tiếp nhận",
        "body": "Hồ sơ {procedure} (mã tra cứu {tracking_code}) đã được tiếp nhận, mã hồ sơ {code}, hẹn trả kết quả "
                "ngày {due}. " + SIGNATURE,
    },
    "supplement_requested": {
        "subject": "Đề nghị bổ sung hồ sơ {tracking_code}",
        "body": "Hồ sơ {procedure} (mã tra cứu {tracking_code}) cần bổ sung: {items}. Lý do: {reason}. Quý khách có "
                "thể gửi hồ sơ bổ sung qua bưu điện. " + SIGNATURE,
    },
    "dossier_refused": {
        "subject": "Hồ sơ {tracking_code} không được tiếp nhận",
        "body": "Hồ sơ {procedure} (mã tra cứu {tracking_code}) không đủ điều kiện tiếp nhận. Lý do: {reason}. Hồ sơ sẽ "
                "được gửi trả quý khách qua bưu điện. " + SIGNATURE,
    },
    "financial_obligation": {
        "subject": "Thông báo nghĩa vụ tài chính, hồ sơ {code}",
        "body": "Hồ sơ {code} cần thực hiện nghĩa vụ tài chính {amount} đồng trước khi giải quyết tiếp. " + SIGNATURE,
    },
    "dossier_extended": {
        "subject": "Xin lỗi và gia hạn hồ sơ {code}",
        "body": "Cơ quan xin lỗi vì chưa trả kết quả hồ sơ {code} đúng hẹn. Ngày hẹn mới: {due}. Lý do: {reason}. "
                + SIGNATURE,
    },
    "dossier_stopped": {
        "subject": "Dừng giải quyết hồ sơ {code}",
        "body": "Hồ sơ {code} ({procedure}) đã dừng giải quyết. Lý do: {reason}. " + SIGNATURE,
    },
    "dossier_withdrawn": {
        "subject": "Đã rút hồ sơ {tracking_code}",
        "body": "Hồ sơ {procedure} (mã tra cứu {tracking_code}) đã được rút theo đề nghị của quý khách. " + SIGNATURE,
    },
    "result_ready": {
        "subject": "Đã có kết quả hồ sơ {code}",
        "body": "Hồ sơ {code} ({procedure}) đã có kết quả. Nhận qua bưu điện: {by_post}. " + SIGNATURE,
    },
})
