"""API: provinces, communes (search without diacritics), old-address resolution.

Administrative units are reference data: every authenticated user may read all of
them (they are not limited by the user's scope)."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.models import Commune, Province
from geo.serializers import (
    AddressResolveRequestSerializer,
    AddressResolveResponseSerializer,
    CommuneSerializer,
    ProvinceSerializer,
)
from geo.services import COMMUNE_CODE_LENGTH, resolve_address, search_communes

ERRORS = inline_serializer("GeoErrors", {"errors": serializers.ListField(child=inline_serializer(
    "GeoError", {"field": serializers.CharField(allow_null=True),
                 "message": serializers.CharField(help_text="Vietnamese / English")}))})
INCLUDE_RETIRED = OpenApiParameter("include_retired", OpenApiTypes.BOOL, description="Also list retired units")


def _flag(request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes", "on")


@extend_schema_view(get=extend_schema(summary="List the provinces", parameters=[INCLUDE_RETIRED], tags=["geo"]))
class ProvinceList(generics.ListAPIView):
    serializer_class = ProvinceSerializer
    filter_backends = []

    def get_queryset(self):
        queryset = Province.objects.all()
        return queryset if _flag(self.request, "include_retired") else queryset.filter(retired=False)


@extend_schema_view(get=extend_schema(
    summary="Search the communes",
    description="Name without diacritics ('phuong long xuyen', 'long xuyen') or code; best matches first.",
    parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Name (with or without diacritics) or code"),
        OpenApiParameter("province", OpenApiTypes.STR, description="Province code (2 digits)"),
        INCLUDE_RETIRED,
    ],
    tags=["geo"],
))
class CommuneList(generics.ListAPIView):
    serializer_class = CommuneSerializer
    filter_backends = []

    def get_queryset(self):
        params = self.request.query_params
        return search_communes(params.get("q", ""), province=params.get("province") or None, limit=None,
                               include_retired=_flag(self.request, "include_retired"))


@extend_schema_view(get=extend_schema(summary="One commune by code (retired ones too)", tags=["geo"],
                                      responses={200: CommuneSerializer, 404: ERRORS}))
class CommuneDetail(generics.RetrieveAPIView):
    serializer_class = CommuneSerializer
    queryset = Commune.objects.select_related("province")
    lookup_field = "code"

    def get_object(self):
        code = self.kwargs["code"]
        if code.isdigit() and len(code) < COMMUNE_CODE_LENGTH:  # "3307" -> "03307"
            self.kwargs["code"] = code.zfill(COMMUNE_CODE_LENGTH)
        return super().get_object()


class AddressResolve(APIView):
    @extend_schema(
        summary="Resolve an old (three-level) or new (two-level) address to the new commune",
        description=(
            "status 'resolved': one new commune (code). 'ambiguous': several candidates (the old ward was split, or "
            "the name matches wards in several districts) — never a silent guess. 'not_found': message says what "
            "was recognised."
        ),
        request=AddressResolveRequestSerializer,
        responses={200: AddressResolveResponseSerializer, 400: ERRORS},
        examples=[OpenApiExample("Old address", request_only=True,
                                 value={"address": "12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, An Giang"})],
        tags=["geo"],
    )
    def post(self, request):
        serializer = AddressResolveRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(resolve_address(serializer.validated_data["address"]).as_dict())


urlpatterns = [
    path("provinces/", ProvinceList.as_view(), name="province-list"),
    path("communes/", CommuneList.as_view(), name="commune-list"),
    path("communes/<str:code>/", CommuneDetail.as_view(), name="commune-detail"),
    path("addresses/resolve/", AddressResolve.as_view(), name="address-resolve"),
]
