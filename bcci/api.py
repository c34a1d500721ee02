"""API error shape: every error names the field, in Vietnamese and English."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


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
                errors.append({"field": prefix or None, "message": str(item)})
    else:
        errors.append({"field": prefix or None, "message": str(data)})
    return errors


def bad_request(field, message_vi, message_en):
    return Response(
        {"errors": [{"field": field, "message": f"{message_vi} / {message_en}"}]},
        status=status.HTTP_400_BAD_REQUEST,
    )
