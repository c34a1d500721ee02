from django.urls import path
from rest_framework import generics

from accounts.scopes import visible
from network.models import Agency, PostOffice
from network.serializers import AgencySerializer, PostOfficeSerializer


class ScopedMixin:
    """Every list and detail is filtered by the caller's scope: outside it, 404."""

    def get_queryset(self):
        return visible(self.request.user, self.queryset)


class PostOfficeList(ScopedMixin, generics.ListAPIView):
    queryset = PostOffice.objects.select_related("province", "commune")
    serializer_class = PostOfficeSerializer
    filterset_fields = ["kind", "province__code", "active"]


class PostOfficeDetail(ScopedMixin, generics.RetrieveAPIView):
    queryset = PostOffice.objects.select_related("province", "commune")
    serializer_class = PostOfficeSerializer


class AgencyList(ScopedMixin, generics.ListAPIView):
    queryset = Agency.objects.select_related("province", "commune")
    serializer_class = AgencySerializer
    filterset_fields = ["level", "province__code", "active"]


class AgencyDetail(ScopedMixin, generics.RetrieveAPIView):
    queryset = Agency.objects.select_related("province", "commune")
    serializer_class = AgencySerializer


urlpatterns = [
    path("post-offices/", PostOfficeList.as_view(), name="post-office-list"),
    path("post-offices/<int:pk>/", PostOfficeDetail.as_view(), name="post-office-detail"),
    path("agencies/", AgencyList.as_view(), name="agency-list"),
    path("agencies/<int:pk>/", AgencyDetail.as_view(), name="agency-detail"),
]
