from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scopes import visible
from geo.models import Province
from network.coverage import province_coverage
from network.models import Agency, OneStopDesk, PostOffice
from network.serializers import (
    AgencySerializer,
    CoverageSerializer,
    OneStopDeskSerializer,
    PostOfficeSerializer,
)
from network.services import save_agency, save_desk, save_post_office


class ScopedMixin:
    """Every list and detail is filtered by the caller's scope: outside it, 404.
    Writes go through the app's service function, which checks the role and province."""

    service = None

    def get_queryset(self):
        return visible(self.request.user, self.queryset)

    def perform_create(self, serializer):
        serializer.instance = type(self).service(serializer.Meta.model(**serializer.validated_data),
                                                 actor=self.request.user)

    def perform_update(self, serializer):
        obj = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(obj, name, value)
        type(self).service(obj, actor=self.request.user)


class PostOfficeList(ScopedMixin, generics.ListCreateAPIView):
    queryset = PostOffice.objects.select_related("province", "commune").prefetch_related(
        "served_communes", "carries_to")
    serializer_class = PostOfficeSerializer
    filterset_fields = ["kind", "province__code", "active", "accepts_dossiers"]
    service = save_post_office


class PostOfficeDetail(ScopedMixin, generics.RetrieveUpdateAPIView):
    queryset = PostOfficeList.queryset
    serializer_class = PostOfficeSerializer
    service = save_post_office


class AgencyList(ScopedMixin, generics.ListCreateAPIView):
    queryset = Agency.objects.select_related("province", "commune")
    serializer_class = AgencySerializer
    filterset_fields = ["level", "province__code", "active"]
    service = save_agency


class AgencyDetail(ScopedMixin, generics.RetrieveUpdateAPIView):
    queryset = AgencyList.queryset
    serializer_class = AgencySerializer
    service = save_agency


class DeskList(ScopedMixin, generics.ListCreateAPIView):
    queryset = OneStopDesk.objects.select_related("province", "commune", "agency", "post_office")
    serializer_class = OneStopDeskSerializer
    filterset_fields = ["level", "mode", "province__code", "active"]
    service = save_desk


class DeskDetail(ScopedMixin, generics.RetrieveUpdateAPIView):
    queryset = DeskList.queryset
    serializer_class = OneStopDeskSerializer
    service = save_desk


class CoverageView(APIView):
    """Coverage of a province by the postal network."""

    @extend_schema(responses=CoverageSerializer)
    def get(self, request, province_code):
        province = get_object_or_404(visible(request.user, Province.objects.all()), code=province_code)
        return Response(CoverageSerializer(province_coverage(province)).data)


urlpatterns = [
    path("post-offices/", PostOfficeList.as_view(), name="post-office-list"),
    path("post-offices/<int:pk>/", PostOfficeDetail.as_view(), name="post-office-detail"),
    path("agencies/", AgencyList.as_view(), name="agency-list"),
    path("agencies/<int:pk>/", AgencyDetail.as_view(), name="agency-detail"),
    path("desks/", DeskList.as_view(), name="desk-list"),
    path("desks/<int:pk>/", DeskDetail.as_view(), name="desk-detail"),
    path("coverage/<str:province_code>/", CoverageView.as_view(), name="coverage"),
]
