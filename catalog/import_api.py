"""API for importing and exporting a province's procedure list (see catalog.imports).

* ``POST catalog/imports/`` (multipart: ``file``, ``province``) → the preview: batch id,
  status (``previewed`` or ``rejected``), would-be counts and row errors;
* ``POST catalog/imports/<id>/commit/`` → 202, the import runs in the background;
* ``GET catalog/imports/<id>/`` → status, progress and report;
* ``GET catalog/export/?province=91&format=xlsx|csv`` → the file.

Provincial administrators act on their own province only; other roles are refused."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scopes import can_act, visible
from catalog import imports
from catalog.models import ImportBatch
from geo.models import Province

ERRORS = OpenApiResponse(description='{"errors": [{"field": ..., "message": "<vi> / <en>"}]}')


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict"


def _require_manager(user):
    if not can_act(user, "manage_catalog"):
        raise exceptions.PermissionDenied(
            _("Bạn không có quyền quản lý danh mục TTHC. / You may not manage the catalogue."))


def _province(user, code: str | None) -> Province:
    """The province named by its code; another province than the caller's is refused (403)."""
    if not code:
        raise serializers.ValidationError({"province": [_("Cần mã tỉnh. / The province code is required.")]})
    province = Province.objects.filter(code=code).first()
    if province is None:
        raise serializers.ValidationError({"province": [
            _("Không có tỉnh mã %(code)s. / No province with code %(code)s.") % {"code": code}]})
    if not visible(user, Province.objects.filter(pk=province.pk)).exists():
        raise exceptions.PermissionDenied(_("Danh mục của tỉnh khác. / Another province's catalogue."))
    return province


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx or .csv (UTF-8, comma or semicolon)")
    province = serializers.CharField(max_length=2, help_text="province code, e.g. 91")


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="row number as a spreadsheet shows it")
    column = serializers.CharField(help_text="column header")
    field = serializers.CharField(help_text="same as column")
    message = serializers.CharField(help_text="<Vietnamese> / <English>")


class CountsSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    province = serializers.CharField(source="province.code")
    file_name = serializers.CharField(source="original_name")
    status = serializers.ChoiceField(choices=ImportBatch.Status.choices)
    total_rows = serializers.IntegerField()
    processed_rows = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()
    counts = CountsSerializer()
    error_count = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.SerializerMethodField()

    def _progress(self, batch):
        cache = self.context.setdefault("progress", {})
        if batch.pk not in cache:
            cache[batch.pk] = imports.progress(batch)
        return cache[batch.pk]

    def get_processed_rows(self, batch) -> int:
        return self._progress(batch)["processed_rows"]

    def get_percent(self, batch) -> int:
        return self._progress(batch)["percent"]

    def get_error_count(self, batch) -> int:
        return batch.report.get("error_count", len(batch.errors))

    @extend_schema_field(RowErrorSerializer(many=True))
    def get_errors(self, batch) -> list[dict]:
        return [{**e, "field": e.get("column", "")} for e in batch.errors]

    def get_status_url(self, batch) -> str:
        return reverse("api:catalog-import-detail", args=[batch.pk])


class ImportCreate(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Upload a province's list and preview it",
        description="Reads and validates every row; nothing of the catalogue is written. status is "
        "`previewed` (no error: may be committed) or `rejected` (row errors: can never be committed).",
        request={"multipart/form-data": UploadSerializer},
        responses={201: BatchSerializer, 400: ERRORS, 403: ERRORS},
        tags=["catalog"],
    )
    def post(self, request):
        _require_manager(request.user)
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        province = _province(request.user, data.validated_data["province"])
        upload = data.validated_data["file"]
        try:
            batch = imports.preview_import(upload, upload.name, province, request.user)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else
                                              {"file": exc.messages}) from None
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


def _batch(request, pk) -> ImportBatch:
    _require_manager(request.user)
    return get_object_or_404(visible(request.user, ImportBatch.objects.select_related("province")), pk=pk)


class ImportDetail(APIView):
    @extend_schema(summary="Status, progress and report of an import", responses={200: BatchSerializer,
                   403: ERRORS, 404: ERRORS}, tags=["catalog"])
    def get(self, request, pk):
        return Response(BatchSerializer(_batch(request, pk)).data)


class ImportCommit(APIView):
    @extend_schema(
        summary="Commit a previewed import (runs in the background)",
        description="All or nothing. Poll the batch (status_url) for progress; status becomes `committed` "
        "with the counts, or `failed` with the reason (nothing written).",
        request=None, responses={202: BatchSerializer, 403: ERRORS, 404: ERRORS, 409: ERRORS}, tags=["catalog"],
    )
    def post(self, request, pk):
        batch = _batch(request, pk)
        try:
            batch = imports.request_commit(batch, request.user)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages)) from None
        batch.refresh_from_db()
        return Response(BatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class Export(APIView):
    def perform_content_negotiation(self, request, force=False):
        # ``format`` names the file type here, not a DRF renderer; errors are JSON.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        summary="Export a province's published list",
        description="The import's columns, one row per procedure; importing the file back changes nothing.",
        parameters=[
            OpenApiParameter("province", OpenApiTypes.STR, required=True, description="province code, e.g. 91"),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["xlsx", "csv"], required=False,
                             description="xlsx (default) or csv (UTF-8 with BOM)"),
        ],
        responses={
            (200, imports.EXPORT_CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            400: ERRORS, 403: ERRORS,
        },
        tags=["catalog"],
    )
    def get(self, request):
        _require_manager(request.user)
        fmt = request.query_params.get("format", "xlsx")
        if fmt not in imports.EXPORT_CONTENT_TYPES:
            raise serializers.ValidationError({"format": [
                _("Định dạng phải là xlsx hoặc csv. / The format must be xlsx or csv.")]})
        province = _province(request.user, request.query_params.get("province"))
        response = HttpResponse(imports.export_province(province, fmt),
                                content_type=imports.EXPORT_CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{imports.export_filename(province, fmt)}"'
        return response


urlpatterns = [
    path("catalog/imports/", ImportCreate.as_view(), name="catalog-import-create"),
    path("catalog/imports/<int:pk>/", ImportDetail.as_view(), name="catalog-import-detail"),
    path("catalog/imports/<int:pk>/commit/", ImportCommit.as_view(), name="catalog-import-commit"),
    path("catalog/export/", Export.as_view(), name="catalog-export"),
]
