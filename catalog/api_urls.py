"""API of the catalogue.

Reading is public (no login), like the public pages: search the published
versions, read one with its documents and fees, list the fields. Writing a
province's version is for catalogue administrators within their scope (a
provincial administrator: their province only); it goes through
``catalog.services.save_version``. The network (post offices, agencies, desks) is
read through network's own endpoints, filtered by the caller's scope."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from catalog.models import Field, Procedure, ProcedureVersion
from catalog.search import page_of, published_versions, search_versions
from catalog.serializers import (
    CatalogErrorsSerializer,
    FieldSerializer,
    ProvinceSearchQuerySerializer,
    SaveResultSerializer,
    SearchQuerySerializer,
    VersionDetailSerializer,
    VersionSerializer,
    VersionWriteSerializer,
)
from catalog.services import check_may_edit, save_version
from geo.models import Province

TAGS = ["catalog"]
ERRORS = OpenApiResponse(CatalogErrorsSerializer, description="Each error names its field; messages in Vietnamese / English")
# A service error's key -> the API field it is about.
SERVICE_FIELDS = {"agency": "agency_identifier", "__all__": "non_field_errors"}


class SearchPagination(PageNumberPagination):
    """Page-number pagination that skips the COUNT when a page is not full (catalog.search.page_of)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            self.page = page_of(queryset, request.query_params.get(self.page_query_param, 1),
                                self.get_page_size(request), clamp=False)
        except InvalidPage as exc:
            raise exceptions.NotFound(str(exc)) from exc
        return list(self.page)


class PublicReadMixin:
    permission_classes = [permissions.AllowAny]
    filter_backends = []


class SearchMixin(PublicReadMixin):
    serializer_class = VersionSerializer
    pagination_class = SearchPagination

    query_serializer = SearchQuerySerializer

    def search(self, province=None):
        params = self.query_serializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return search_versions(data.get("q", ""), province=province or data.get("province") or None,
                               field=data.get("field") or None, agency=data.get("agency") or None,
                               by_post=data.get("by_post") or None)


@extend_schema_view(get=extend_schema(
    summary="Search the published catalogue",
    description="Published versions of procedures in every province, in code order. Every word of `q` must "
                "occur in the code or the name (without diacritics); a `q` of digits and dots matches the "
                "beginning of the code. No login needed.",
    parameters=[SearchQuerySerializer], responses={200: VersionSerializer(many=True), 400: ERRORS},
    tags=TAGS, operation_id="catalog_procedures_search", auth=[],
))
class VersionSearch(SearchMixin, generics.ListAPIView):
    def get_queryset(self):
        return self.search()


@extend_schema_view(
    get=extend_schema(
        summary="Search one province's published catalogue",
        parameters=[ProvinceSearchQuerySerializer],
        responses={200: VersionSerializer(many=True), 400: ERRORS, 404: ERRORS},
        tags=TAGS, operation_id="catalog_province_procedures_search", auth=[],
    ),
    post=extend_schema(
        summary="Write a province's version of a procedure",
        description="Adds the procedure to the province's catalogue, or a new version superseding the current "
                    "one (published at once unless `publish` is false). 201 with outcome `added` or "
                    "`changed`; 200 with `unchanged` when the published version already says exactly this. "
                    "Catalogue administrators only; a provincial administrator only in their province.",
        request=VersionWriteSerializer,
        responses={201: SaveResultSerializer, 200: SaveResultSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
        tags=TAGS, operation_id="catalog_province_procedures_write",
    ),
)
class ProvinceVersions(SearchMixin, generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]
    query_serializer = ProvinceSearchQuerySerializer

    def get_province(self):
        return get_object_or_404(Province, code=self.kwargs["province_code"])

    def get_queryset(self):
        return self.search(province=self.get_province())

    def post(self, request, province_code):
        province = self.get_province()
        try:
            check_may_edit(request.user, province.pk)  # before reading the body: a clerk learns nothing more
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        serializer = VersionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            version, outcome = save_version(serializer.version_data(), province, request.user,
                                            publish=serializer.validated_data["publish"],
                                            valid_from=serializer.validated_data["valid_from"])
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_service_errors(exc)) from exc
        version = (ProcedureVersion.objects.select_related("procedure__field", "province", "agency")
                   .prefetch_related("documents", "fees").get(pk=version.pk))
        body = SaveResultSerializer({"outcome": outcome, "version": version}, context={"request": request}).data
        return Response(body, status=status.HTTP_200_OK if outcome == "unchanged" else status.HTTP_201_CREATED)


def _service_errors(exc: DjangoValidationError):
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {SERVICE_FIELDS.get(key, key): messages for key, messages in exc.message_dict.items()}


@extend_schema_view(get=extend_schema(
    summary="One province's published version of a procedure",
    description="With what to prepare (documents: kind, count, mandatory, form) and the fees. No login needed.",
    responses={200: VersionDetailSerializer, 404: ERRORS}, tags=TAGS, operation_id="catalog_procedure_detail",
    auth=[],
))
class VersionDetail(PublicReadMixin, generics.RetrieveAPIView):
    serializer_class = VersionDetailSerializer

    def get_object(self):
        version = (published_versions().prefetch_related("documents", "fees")
                   .filter(province__code=self.kwargs["province_code"],
                           procedure__code=self.kwargs["procedure_code"]).first())
        if version is None:
            raise exceptions.NotFound()
        return version


@extend_schema_view(get=extend_schema(summary="The fields (lĩnh vực) of the catalogue", tags=TAGS,
                                      operation_id="catalog_fields_list", auth=[]))
class FieldList(PublicReadMixin, generics.ListAPIView):
    serializer_class = FieldSerializer

    def get_queryset(self):
        return Field.objects.filter(Exists(Procedure.objects.filter(field=OuterRef("pk")))).order_by("code")


urlpatterns = [
    path("catalog/procedures/", VersionSearch.as_view(), name="catalog-procedure-search"),
    path("catalog/procedures/<str:province_code>/", ProvinceVersions.as_view(), name="catalog-province-procedures"),
    path("catalog/procedures/<str:province_code>/<str:procedure_code>/", VersionDetail.as_view(),
         name="catalog-procedure-detail"),
    path("catalog/fields/", FieldList.as_view(), name="catalog-field-list"),
]
