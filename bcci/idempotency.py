"""``Idempotency-Key`` on API POSTs: the same key from the same caller gets the first answer again.

The record is written before the request runs (a unique constraint), so two copies of a request sent at
the same moment run once: the second gets 409 until the first has answered. A key reused with a
different body gets 422. Answers of 5xx are not kept, so the caller can retry with the same key."""

import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.response import Response

from bcci.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _error(code, vi, en):
    return Response({"errors": [{"field": HEADER, "message": f"{vi} / {en}"}]}, status=code)


def _owner(request) -> str:
    client = getattr(request, "api_client", None)
    if client is not None:
        return f"client:{client.pk}"
    return f"user:{request.user.pk}"


def _hash(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(handler):
    """Decorate an APIView's ``post(self, request, ...)``."""

    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return handler(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return _error(status.HTTP_400_BAD_REQUEST, "Idempotency-Key quá dài (tối đa 255 ký tự).",
                          "Idempotency-Key is too long (at most 255 characters).")
        owner, digest = _owner(request), _hash(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner=owner, key=key, method=request.method, path=request.path[:500], request_hash=digest,
                    user=request.user if request.user.is_authenticated else None)
        except IntegrityError:
            first = IdempotencyRecord.objects.get(owner=owner, key=key)
            if first.request_hash != digest:
                return _error(status.HTTP_422_UNPROCESSABLE_ENTITY,
                              "Idempotency-Key này đã dùng cho một yêu cầu khác.",
                              "This Idempotency-Key was used for a different request.")
            if first.status_code is None:
                return _error(status.HTTP_409_CONFLICT, "Yêu cầu với Idempotency-Key này đang được xử lý.",
                              "A request with this Idempotency-Key is still being processed.")
            response = Response(first.response_body, status=first.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = handler(self, request, *args, **kwargs)
        except Exception:
            record.delete()
            raise
        if response.status_code >= 500:
            record.delete()
        else:
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                status_code=response.status_code, response_body=json.loads(json.dumps(response.data, default=str)))
        return response

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper
