"""API error shape: every error names the field, in Vietnamese and English."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# DRF's own messages come in the active language only; give them in both, by error code.
BILINGUAL_BY_CODE = {
    "required": "Trường này là bắt buộc. / This field is required.",
    "null": "Trường này không được để trống. / This field may not be null.",
    "blank": "Trường này không được để trống. / This field may not be blank.",
    "invalid": "Giá trị không hợp lệ. / Invalid value.",
    "invalid_choice": "Giá trị không nằm trong danh sách cho phép. / Not a valid choice.",
    "does_not_exist": "Không tìm thấy đối tượng. / Object not found.",
    "incorrect_type": "Sai kiểu dữ liệu. / Incorrect type.",
    "not_a_list": "Cần một danh sách. / Expected a list.",
    "not_a_dict": "Cần một đối tượng. / Expected an object.",
    "empty": "Không được để trống. / May not be empty.",
    "unique": "Giá trị này đã tồn tại. / This value already exists.",
    "max_length": "Quá dài. / Too long.",
    "min_length": "Quá ngắn. / Too short.",
    "max_value": "Giá trị quá lớn. / Value too large.",
    "min_value": "Giá trị quá nhỏ. / Value too small.",
    "max_digits": "Quá nhiều chữ số. / Too many digits.",
    "max_decimal_places": "Quá nhiều chữ số thập phân. / Too many decimal places.",
    "max_whole_digits": "Quá nhiều chữ số phần nguyên. / Too many digits before the decimal point.",
    "no_name": "Tệp không có tên. / The file has no name.",
    "invalid_image": "Ảnh không hợp lệ. / Not a valid image.",
}
WITH_DETAIL = {"max_length", "min_length", "max_value", "min_value", "max_digits", "max_decimal_places",
               "max_whole_digits"}
BILINGUAL_BY_EXCEPTION = {
    exceptions.NotAuthenticated: "Chưa đăng nhập. / Authentication credentials were not provided.",
    exceptions.AuthenticationFailed: "Sai thông tin đăng nhập. / Incorrect authentication credentials.",
    exceptions.PermissionDenied: "Bạn không có quyền thực hiện thao tác này. / "
    "You do not have permission to perform this action.",
    exceptions.ParseError: "Dữ liệu gửi lên không đọc được (JSON hỏng). / Malformed request body.",
    exceptions.MethodNotAllowed: "Phương thức không được hỗ trợ. / Method not allowed.",
    exceptions.UnsupportedMediaType: "Kiểu dữ liệu không được hỗ trợ. / Unsupported media type.",
    exceptions.NotAcceptable: "Không đáp ứng được định dạng yêu cầu. / Not acceptable.",
    exceptions.Throttled: "Quá nhiều yêu cầu, vui lòng thử lại sau. / Too many requests, try again later.",
}


def bilingual(message, code=None, field=None) -> str:
    text = str(message)
    if " / " in text:
        return text
    if code == "invalid" and field is None:
        return "Dữ liệu không hợp lệ: cần một đối tượng JSON. / Invalid data: expected a JSON object."
    if code in BILINGUAL_BY_CODE:
        return f"{BILINGUAL_BY_CODE[code]} ({text})" if code in WITH_DETAIL else BILINGUAL_BY_CODE[code]
    return text


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _flatten(response.data)}
    elif isinstance(exc, exceptions.NotFound):
        response.data = {"errors": [{"field": None, "message": "Không tìm thấy. / Not found."}]}
    else:
        message = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        if " / " not in str(message):
            message = next((text for cls, text in BILINGUAL_BY_EXCEPTION.items() if isinstance(exc, cls)),
                           message)
        response.data = {"errors": [{"field": None, "message": str(message)}]}
    return response


def _flatten(data, prefix=""):
    errors = []
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else key
            errors.extend(_flatten(value, "" if name == "non_field_errors" else name))
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, (dict, list)):
                errors.extend(_flatten(item, prefix))
            else:
                field = prefix or None
                errors.append({"field": field, "message": bilingual(item, getattr(item, "code", None), field)})
    else:
        field = prefix or None
        errors.append({"field": field, "message": bilingual(data, getattr(data, "code", None), field)})
    return errors


def bad_request(field, message_vi, message_en):
    return Response(
        {"errors": [{"field": field, "message": f"{message_vi} / {message_en}"}]},
        status=status.HTTP_400_BAD_REQUEST,
    )
